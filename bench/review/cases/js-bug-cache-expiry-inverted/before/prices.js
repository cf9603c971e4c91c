'use strict';
// Caches prices fetched from the pricing service.

const cache = new Map();

async function getPrice(sku, fetchPrice) {
  if (cache.has(sku)) {
    return cache.get(sku);
  }
  const price = await fetchPrice(sku);
  cache.set(sku, price);
  return price;
}

module.exports = { getPrice };
