'use strict';
// The shop's pricing rules: coupons and shipping. Every amount is in whole cents.

const FREE_SHIPPING_FROM = 5000;
const SHIPPING_COST = 495;

/**
 * Returns the discount a coupon gives on `subtotal`: `{ percent: 10 }` takes 10% off (rounded to the
 * nearest cent), `{ amount: 500 }` takes 5.00 off. The discount never exceeds the subtotal; no coupon
 * gives no discount.
 */
function discountCents(subtotal, coupon) {
  if (!coupon) {
    return 0;
  }
  const discount = coupon.percent !== undefined ? Math.round((subtotal * coupon.percent) / 100) : coupon.amount;
  return Math.min(discount, subtotal);
}

/**
 * Returns the shipping cost of an order whose goods cost `amount` after every discount: free from
 * 50.00 on, 4.95 below that, and free for an order with nothing to pay for.
 */
function shippingCents(amount) {
  if (amount <= 0 || amount >= FREE_SHIPPING_FROM) {
    return 0;
  }
  return SHIPPING_COST;
}

module.exports = { discountCents, shippingCents, FREE_SHIPPING_FROM, SHIPPING_COST };
