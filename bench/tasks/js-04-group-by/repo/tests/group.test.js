'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { groupBy, countBy } = require('../group.js');

const orders = [
  { id: 1, status: 'paid' },
  { id: 2, status: 'open' },
  { id: 3, status: 'paid' },
];

test('by property name', () => {
  const groups = groupBy(orders, 'status');
  assert.deepStrictEqual([...groups.keys()], ['paid', 'open']);
  assert.deepStrictEqual(groups.get('paid').map((o) => o.id), [1, 3]);
});

test('by function', () => {
  assert.deepStrictEqual(countBy([1, 2, 3, 4, 5], (n) => (n % 2 ? 'odd' : 'even')), { odd: 3, even: 2 });
});
