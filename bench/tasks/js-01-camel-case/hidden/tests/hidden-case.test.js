'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { camelCase, kebabCase } = require('../case.js');

test('underscores and mixed separators', () => {
  assert.strictEqual(camelCase('max_line_length'), 'maxLineLength');
  assert.strictEqual(camelCase('grid-template_areas-x'), 'gridTemplateAreasX');
});

test('names without separators are unchanged', () => {
  assert.strictEqual(camelCase('color'), 'color');
  assert.strictEqual(camelCase(''), '');
});

test('round trip', () => {
  for (const name of ['margin-inline-start', 'a-b-c-d', 'z-index']) {
    assert.strictEqual(kebabCase(camelCase(name)), name);
  }
});
