'use strict';
// Structural comparison for the settings editor, which only saves when something changed.

/**
 * Returns whether `a` and `b` are deeply equal: primitives compare with Object.is, arrays are equal
 * when they have the same length and equal elements in order, and plain objects when they have the
 * same own keys with equal values (key order does not matter).
 */
function isEqual(a, b) {
  if (Object.is(a, b)) {
    return true;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  for (const key of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !isEqual(a[key], b[key])) {
      return false;
    }
  }
  return true;
}

/** Returns the top-level keys whose values differ between the saved and the edited settings. */
function changedKeys(saved, edited) {
  const keys = new Set([...Object.keys(saved), ...Object.keys(edited)]);
  return [...keys].filter((key) => !isEqual(saved[key], edited[key]));
}

module.exports = { isEqual, changedKeys };
