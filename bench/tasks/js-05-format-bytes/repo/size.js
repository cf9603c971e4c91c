'use strict';
// Human-readable sizes for the file browser.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * Formats a number of bytes for display. Below 1024 it is the whole number and `B` (`512 B`).
 * Otherwise it is divided by 1024 as often as needed to get below 1024 (stopping at TiB), and shown
 * with one decimal, dropped when it is zero: `1.5 KiB`, `2 MiB`, `1536 TiB`. Rounding that reaches
 * 1024 moves to the next unit (1048575 bytes is `1 MiB`, not `1024 KiB`). Throws a RangeError for a
 * negative, fractional or non-finite number.
 */
function formatBytes(bytes) {
  throw new Error('not implemented');
}

module.exports = { formatBytes, UNITS };
