'use strict';
const fs = require('node:fs/promises');

async function writeReport(path, rows) {
  const text = rows.map((row) => row.join(',')).join('\n');
  fs.writeFile(path, text + '\n');
  return rows.length;
}

module.exports = { writeReport };
