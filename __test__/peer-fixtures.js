'use strict'
/**
 * What the import tests write through another adapter, for user `i` of three: one set of
 * Auth.js fields (dates and nulls of every kind, a provider per user), to which each test adds
 * the extra columns its peer's schema has.
 */
const { randomUUID } = require('node:crypto')

/** The users' extra columns where the peer's schema has all of them. */
const userExtras = (i) => ({
  role: ['admin', 'member', 'guest'][i],
  age: 30 + i,
  isStaff: i === 0,
  joinedAt: new Date(Date.UTC(2023, 5, 1 + i)),
})

/** User `i`, Auth.js fields only. */
const peerUser = (i) => ({
  id: randomUUID(),
  name: `User ${i}`,
  email: `user${i}-${randomUUID()}@example.com`,
  emailVerified: i === 2 ? null : new Date(Date.UTC(2024, 0, 2 + i, 3, 4, 5, 6)),
  image: null,
})

/** User `i`'s OAuth account, Auth.js fields only (no `session_state`: each test sets its own). */
const peerAccount = (i, userId) => ({
  userId,
  type: 'oauth',
  provider: i % 2 ? 'google' : 'github',
  providerAccountId: randomUUID(),
  access_token: `access-${randomUUID()}`,
  refresh_token: `refresh-${randomUUID()}`,
  expires_at: 1900000000 + i,
  token_type: 'bearer',
  scope: 'read:user',
  id_token: `id-${randomUUID()}`,
})

/** A passkey of the first user's account. */
const peerAuthenticator = (userId, providerAccountId) => ({
  credentialID: randomUUID(),
  userId,
  providerAccountId,
  credentialPublicKey: 'pk',
  counter: 3,
  credentialDeviceType: 'singleDevice',
  credentialBackedUp: false,
  transports: 'usb',
})

module.exports = { userExtras, peerUser, peerAccount, peerAuthenticator }
