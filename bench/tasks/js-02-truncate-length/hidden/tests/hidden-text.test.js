'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { truncate, preview } = require('../text.js');

test('text exactly as long as the width', () => {
  assert.strictEqual(truncate('abcde', 5), 'abcde');
});

test('one character too long', () => {
  assert.strictEqual(truncate('abcdef', 5), 'abcd…');
});

test('the result never exceeds the width', () => {
  const long = 'x'.repeat(100);
  for (let max = 1; max < 20; max++) {
    assert.strictEqual(truncate(long, max).length, max);
  }
});

test('long previews', () => {
  const line = 'a'.repeat(50);
  assert.strictEqual(preview(line + '\nmore'), 'a'.repeat(39) + '…');
});
