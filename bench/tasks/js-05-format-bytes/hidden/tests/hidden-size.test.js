'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { formatBytes } = require('../size.js');

test('boundaries', () => {
  assert.strictEqual(formatBytes(0), '0 B');
  assert.strictEqual(formatBytes(1023), '1023 B');
  assert.strictEqual(formatBytes(1024), '1 KiB');
  assert.strictEqual(formatBytes(1025), '1 KiB');
});

test('rounding carries into the next unit', () => {
  assert.strictEqual(formatBytes(1048575), '1 MiB');
  assert.strictEqual(formatBytes(1024 * 1024 - 52 * 1024), '972 KiB');
  assert.strictEqual(formatBytes(1126), '1.1 KiB');
});

test('stops at TiB', () => {
  assert.strictEqual(formatBytes(1536 * 1024 ** 4), '1536 TiB');
  assert.strictEqual(formatBytes(3.25 * 1024 ** 3), '3.3 GiB');
});

test('bad input', () => {
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => formatBytes(bad), RangeError, String(bad));
  }
});
