'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { Cart } = require('../cart.js');

function cartOf(priceCents, coupon) {
  const cart = new Cart();
  cart.add('item', priceCents);
  if (coupon) {
    cart.useCoupon(coupon);
  }
  return cart;
}

test('a coupon that brings the order under the threshold', () => {
  assert.strictEqual(cartOf(5500, { percent: 10 }).total(), 4950 + 495);
  assert.strictEqual(cartOf(5200, { amount: 500 }).total(), 4700 + 495);
});

test('a coupon that keeps the order at the threshold', () => {
  assert.strictEqual(cartOf(6000, { amount: 1000 }).total(), 5000);
  assert.strictEqual(cartOf(5000).total(), 5000);
});

test('a coupon worth more than the order', () => {
  assert.strictEqual(cartOf(300, { amount: 500 }).total(), 0);
});

test('an empty cart costs nothing', () => {
  assert.strictEqual(new Cart().total(), 0);
});

test('repeated articles add up', () => {
  const cart = new Cart();
  cart.add('pen', 150, 2);
  cart.add('pen', 150);
  assert.strictEqual(cart.subtotal(), 450);
  assert.strictEqual(cart.lines.length, 1);
});
