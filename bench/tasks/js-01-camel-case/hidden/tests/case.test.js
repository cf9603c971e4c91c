'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { camelCase, kebabCase } = require('../case.js');

test('one separator', () => {
  assert.strictEqual(camelCase('font-size'), 'fontSize');
});

test('several separators', () => {
  assert.strictEqual(camelCase('border-top-left-radius'), 'borderTopLeftRadius');
});

test('kebab case', () => {
  assert.strictEqual(kebabCase('borderTopWidth'), 'border-top-width');
});
