'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { isEqual, changedKeys } = require('../equal.js');

test('extra keys or elements on either side', () => {
  assert.ok(!isEqual({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!isEqual({ a: 1, b: 2 }, { a: 1 }));
  assert.ok(!isEqual([1, 2], [1, 2, 3]));
  assert.ok(!isEqual([1, 2, 3], [1, 2]));
  assert.ok(!isEqual({}, { x: undefined }));
});

test('arrays and objects differ', () => {
  assert.ok(!isEqual([], {}));
  assert.ok(!isEqual({ 0: 'a' }, ['a']));
});

test('deep differences', () => {
  assert.ok(!isEqual({ a: [{ b: 1 }] }, { a: [{ b: 1, c: 2 }] }));
  assert.ok(isEqual([[], [{}]], [[], [{}]]));
  assert.ok(!isEqual(null, {}));
});

test('an added setting is a change', () => {
  assert.deepStrictEqual(changedKeys({ tabs: [2] }, { tabs: [2, 4], wrap: true }), ['tabs', 'wrap']);
});
