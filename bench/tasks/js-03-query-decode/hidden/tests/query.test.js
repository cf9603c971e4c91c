'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseQuery } = require('../query.js');

test('plain pairs', () => {
  assert.deepStrictEqual(parseQuery('?page=2&sort=price'), { page: '2', sort: 'price' });
});

test('spaces in a search', () => {
  assert.deepStrictEqual(parseQuery('q=red+shoes'), { q: 'red shoes' });
  assert.deepStrictEqual(parseQuery('q=red%20shoes'), { q: 'red shoes' });
});
