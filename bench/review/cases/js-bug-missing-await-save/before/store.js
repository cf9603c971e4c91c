// Persistence for shopping-list items.
'use strict';

async function saveOne(db, item) {
  await db.save(item);
  return 1;
}

module.exports = { saveOne };
