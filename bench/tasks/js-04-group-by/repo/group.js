'use strict';
// Groups records for the reporting views.

/**
 * Groups `items` by `key`, which is either a function of the item or the name of a property.
 * Returns a Map from each key to the array of items with that key; the keys appear in the order
 * they are first seen, and each array keeps the items' original order. Keys are compared like Map
 * keys (so 1 and '1' are different groups). Throws a TypeError when `key` is neither a function nor
 * a string.
 */
function groupBy(items, key) {
  throw new Error('not implemented');
}

/** Returns how many items each key has, as a plain object. */
function countBy(items, key) {
  const counts = {};
  for (const [k, group] of groupBy(items, key)) {
    counts[k] = group.length;
  }
  return counts;
}

module.exports = { groupBy, countBy };
