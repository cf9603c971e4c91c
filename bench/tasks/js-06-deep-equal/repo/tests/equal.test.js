'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { isEqual, changedKeys } = require('../equal.js');

test('primitives', () => {
  assert.ok(isEqual(1, 1));
  assert.ok(!isEqual(1, '1'));
  assert.ok(isEqual(NaN, NaN));
});

test('nested objects in any key order', () => {
  assert.ok(isEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }));
  assert.ok(!isEqual({ a: 1 }, { a: 2 }));
});

test('changed keys', () => {
  assert.deepStrictEqual(changedKeys({ theme: 'dark', size: 12 }, { theme: 'light', size: 12 }), ['theme']);
});
