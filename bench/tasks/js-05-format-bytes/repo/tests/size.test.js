'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { formatBytes } = require('../size.js');

test('bytes', () => {
  assert.strictEqual(formatBytes(512), '512 B');
});

test('larger units', () => {
  assert.strictEqual(formatBytes(1536), '1.5 KiB');
  assert.strictEqual(formatBytes(2 * 1024 * 1024), '2 MiB');
});
