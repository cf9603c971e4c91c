'use strict';
// Shortens text for the notification previews, which have a fixed width.

const ELLIPSIS = '…';

/**
 * Returns `text` unchanged when it has at most `max` characters; otherwise cuts it and appends an
 * ellipsis so that the result, ellipsis included, is exactly `max` characters long.
 */
function truncate(text, max) {
  if (text.length <= max) {
    return text;
  }
  return text.slice(0, max) + ELLIPSIS;
}

/** Returns the preview of a message: its first line, truncated to `max` characters. */
function preview(message, max = 40) {
  return truncate(message.split('\n')[0], max);
}

module.exports = { truncate, preview, ELLIPSIS };
