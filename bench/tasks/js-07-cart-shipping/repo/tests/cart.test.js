'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Cart } = require('../cart.js');

test('small orders pay shipping', () => {
  const cart = new Cart();
  cart.add('mug', 1200, 2);
  assert.strictEqual(cart.total(), 2400 + 495);
});

test('large orders ship free', () => {
  const cart = new Cart();
  cart.add('lamp', 4500);
  cart.add('bulb', 300, 3);
  assert.strictEqual(cart.total(), 5400);
});

test('a percentage coupon', () => {
  const cart = new Cart();
  cart.add('chair', 10000);
  cart.useCoupon({ percent: 15 });
  assert.strictEqual(cart.total(), 8500);
});
