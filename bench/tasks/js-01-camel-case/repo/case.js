'use strict';
// Converts between the naming styles used by the style sheet tooling.

/**
 * Returns `name` in camelCase: every hyphen or underscore is dropped and the letter after it is
 * upper-cased, e.g. `border-top-width` becomes `borderTopWidth`.
 */
function camelCase(name) {
  return name.replace(/[-_]([a-z])/, (_, letter) => letter.toUpperCase());
}

/** Returns `name` in kebab-case: `borderTopWidth` becomes `border-top-width`. */
function kebabCase(name) {
  return name.replace(/[A-Z]/g, (letter) => '-' + letter.toLowerCase());
}

module.exports = { camelCase, kebabCase };
