'use strict';

// The users who logged in within the last `days` days.
function activeUsers(users, now, days) {
  const cutoff = now - days * 24 * 60 * 60 * 1000;
  const result = [];
  for (let i = 0; i < users.length; i++) {
    if (users[i].lastLogin >= cutoff) {
      result.push(users[i]);
    }
  }
  return result;
}

module.exports = { activeUsers };
