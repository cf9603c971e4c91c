'use strict';
// The shopping cart behind the checkout page.

const { discountCents, shippingCents } = require('./pricing.js');

class Cart {
  constructor() {
    this.lines = [];
    this.coupon = null;
  }

  /** Adds `quantity` of an article at `priceCents` each; adding the same name again adds to its line. */
  add(name, priceCents, quantity = 1) {
    const line = this.lines.find((l) => l.name === name);
    if (line) {
      line.quantity += quantity;
    } else {
      this.lines.push({ name, priceCents, quantity });
    }
  }

  useCoupon(coupon) {
    this.coupon = coupon;
  }

  /** The price of the goods before any discount. */
  subtotal() {
    return this.lines.reduce((sum, l) => sum + l.priceCents * l.quantity, 0);
  }

  /** What the customer pays: the goods, less the coupon's discount, plus shipping. */
  total() {
    const subtotal = this.subtotal();
    const discount = discountCents(subtotal, this.coupon);
    return subtotal - discount + shippingCents(subtotal);
  }
}

module.exports = { Cart };
