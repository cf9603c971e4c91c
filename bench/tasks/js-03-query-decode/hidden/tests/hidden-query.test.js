'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseQuery } = require('../query.js');

test('escapes in names and values', () => {
  assert.deepStrictEqual(parseQuery('a%26b=c%3Dd&city=S%C3%A3o+Paulo'), { 'a&b': 'c=d', city: 'São Paulo' });
});

test('a literal plus is escaped', () => {
  assert.deepStrictEqual(parseQuery('expr=1%2B1'), { expr: '1+1' });
});

test('names without values, repeats and empty input', () => {
  assert.deepStrictEqual(parseQuery('flag&x=1&x=2&&'), { flag: '', x: '2' });
  assert.deepStrictEqual(parseQuery(''), {});
  assert.deepStrictEqual(parseQuery('?'), {});
});

test('only the first equals sign splits', () => {
  assert.deepStrictEqual(parseQuery('eq=a=b'), { eq: 'a=b' });
});
