'use strict';
// Users as the API returns them: { name, profile } where profile is null until the user fills it in.

function avatarUrl(user) {
  if (user.profile && user.profile.avatar) {
    return user.profile.avatar;
  }
  return '/img/default.png';
}

module.exports = { avatarUrl };
