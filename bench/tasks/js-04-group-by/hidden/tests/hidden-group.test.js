'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { groupBy } = require('../group.js');

test('empty input gives an empty map', () => {
  const groups = groupBy([], 'x');
  assert.ok(groups instanceof Map);
  assert.strictEqual(groups.size, 0);
});

test('keys keep their types and first-seen order', () => {
  const groups = groupBy([1, '1', 1, true], (v) => v);
  assert.deepStrictEqual([...groups.entries()], [[1, [1, 1]], ['1', ['1']], [true, [true]]]);
});

test('missing properties group under undefined', () => {
  const groups = groupBy([{ a: 1 }, {}, { a: 1 }], 'a');
  assert.deepStrictEqual(groups.get(undefined), [{}]);
  assert.strictEqual(groups.get(1).length, 2);
});

test('the function gets each item', () => {
  const words = ['pear', 'fig', 'plum', 'kiwi', 'date'];
  const groups = groupBy(words, (w) => w.length);
  assert.deepStrictEqual([...groups.keys()], [4, 3]);
  assert.deepStrictEqual(groups.get(4), ['pear', 'plum', 'kiwi', 'date']);
});

test('a bad key is a TypeError', () => {
  assert.throws(() => groupBy([1], 42), TypeError);
  assert.throws(() => groupBy([1], null), TypeError);
});
