'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { truncate, preview } = require('../text.js');

test('short text is unchanged', () => {
  assert.strictEqual(truncate('hello', 10), 'hello');
});

test('long text fits the width', () => {
  assert.strictEqual(truncate('hello world', 8), 'hello w…');
});

test('preview uses the first line', () => {
  assert.strictEqual(preview('Meeting moved\nto Friday at 3pm'), 'Meeting moved');
});
