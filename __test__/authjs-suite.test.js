'use strict'
// A clean-room walk through the sequence the official Auth.js adapter test suite runs, against
// RustAdapter. The tests share state and run in order, like that suite. Where the suite reads
// the database directly, this file reads through a SECOND RustAdapter on the same database: an
// independent connection that only sees what the first one committed.
const { randomUUID } = require('node:crypto')
const { AUTHJS_METHODS, RustAdapter, storeConfig } = require('./helpers')

const DAY = 24 * 3600 * 1000
const config = storeConfig()
let adapter
let reader

/** Direct reads, through the second connection. */
const db = {
  user: (id) => reader.getUser(id),
  session: async (sessionToken) => (await reader.getSessionAndUser(sessionToken))?.session ?? null,
  account: ({ provider, providerAccountId }) => reader.getAccount(providerAccountId, provider),
  authenticator: (credentialID) => reader.getAuthenticator(credentialID),
}

/** Whole seconds, the way OAuth providers report expiry. */
const inSeconds = (ms) => Math.floor(ms / 1000)


beforeAll(() => {
  adapter = RustAdapter(config)
  reader = RustAdapter(config)
})

afterAll(async () => {
  await adapter?.close()
  await reader?.close()
})

/**
 * The suite's sequence for one user fixture: Auth.js's own suite is run with a user who has
 * every field, and with one who signed in by email (`name` and `image` null).
 *
 * @param {string} title
 * @param {{ email: string, name: string | null, image: string | null, emailVerified: Date | null }} fields
 */
function suiteSequence(title, fields) {
  const user = { id: randomUUID(), ...fields }
  const session = {
    sessionToken: randomUUID(),
    userId: user.id,
    expires: new Date(Date.now() + 7 * DAY),
  }
  const account = {
    provider: 'github',
    providerAccountId: randomUUID(),
    type: 'oauth',
    userId: user.id,
    access_token: randomUUID(),
    refresh_token: randomUUID(),
    expires_at: inSeconds(Date.now()) + 3600,
    token_type: 'bearer',
    scope: 'read:user',
    id_token: randomUUID(),
    session_state: randomUUID(),
  }
  const accountKey = { provider: account.provider, providerAccountId: account.providerAccountId }

  describe(`Auth.js adapter suite sequence, ${title}`, () => {
    test('all Auth.js adapter methods exist', () => {
      for (const name of AUTHJS_METHODS) expect(typeof adapter[name]).toBe('function')
    })

    test('createUser stores the user', async () => {
      await adapter.createUser(user)
      expect(await db.user(user.id)).toEqual(user)
    })

    test('getUser returns null for an unknown id and the user for its id', async () => {
      expect(await adapter.getUser(randomUUID())).toBeNull()
      expect(await adapter.getUser(user.id)).toEqual(user)
    })

    test('getUserByEmail returns null for an unknown email and the user for its email', async () => {
      expect(await adapter.getUserByEmail('nobody@example.com')).toBeNull()
      expect(await adapter.getUserByEmail(user.email)).toEqual(user)
    })

    test('createSession stores the session', async () => {
      await adapter.createSession(session)
      expect(await db.session(session.sessionToken)).toEqual(session)
    })

    test('getSessionAndUser returns null for an invalid token and {user, session} for a real one', async () => {
      expect(await adapter.getSessionAndUser('invalid-token')).toBeNull()
      expect(await adapter.getSessionAndUser(session.sessionToken)).toEqual({ user, session })
    })

    test('updateUser with only a new name returns and stores the new name', async () => {
      const updated = await adapter.updateUser({ id: user.id, name: 'Renamed Suite User' })
      expect(updated.name).toBe('Renamed Suite User')
      const stored = await db.user(user.id)
      expect(stored.name).toBe('Renamed Suite User')
      expect(stored).toEqual({ ...user, name: 'Renamed Suite User' })
      user.name = 'Renamed Suite User'
    })

    test('updateSession moves expires 30 days later', async () => {
      const before = await db.session(session.sessionToken)
      const expires = new Date(before.expires.getTime() + 30 * DAY)
      await adapter.updateSession({ sessionToken: session.sessionToken, expires })
      const after = await db.session(session.sessionToken)
      expect(after.expires.getTime()).toBe(expires.getTime())
      session.expires = expires
    })

    test('linkAccount stores the account', async () => {
      await adapter.linkAccount(account)
      expect(await db.account(accountKey)).toEqual(account)
    })

    test('getUserByAccount returns null for an unknown account and the user for a linked one', async () => {
      expect(await adapter.getUserByAccount({ provider: 'github', providerAccountId: randomUUID() })).toBeNull()
      expect(await adapter.getUserByAccount(accountKey)).toEqual(user)
    })

    test('deleteSession removes the session', async () => {
      await adapter.deleteSession(session.sessionToken)
      expect(await db.session(session.sessionToken)).toBeNull()
    })

    test('createVerificationToken stores the token', async () => {
      const token = { identifier: 'suite@example.com', token: randomUUID(), expires: new Date(Date.now() + 15 * 60000) }
      expect(await adapter.createVerificationToken(token)).toEqual(token)
      // Reading a verification token consumes it, so the direct read is the last step.
      expect(await reader.useVerificationToken({ identifier: token.identifier, token: token.token })).toEqual(token)
    })

    test('useVerificationToken returns the token once, then null; a wrong identifier gets null', async () => {
      const identifier = 'suite@example.com'
      const token = { identifier, token: randomUUID(), expires: new Date(Date.now() + 15 * 60000) }
      await adapter.createVerificationToken(token)

      expect(await adapter.useVerificationToken({ identifier, token: token.token })).toEqual(token)
      expect(await adapter.useVerificationToken({ identifier, token: token.token })).toBeNull()

      await adapter.createVerificationToken(token)
      expect(await adapter.useVerificationToken({ identifier: 'someone-else@example.com', token: token.token })).toBeNull()
    })

    test('unlinkAccount removes the account', async () => {
      await adapter.unlinkAccount(accountKey)
      expect(await db.account(accountKey)).toBeNull()
    })

    test('deleteUser removes the user with its session and account', async () => {
      // Re-create the session and the account under the same keys as before.
      await adapter.createSession(session)
      await adapter.linkAccount(account)
      expect(await db.session(session.sessionToken)).toEqual(session)
      expect(await db.account(accountKey)).toEqual(account)

      await adapter.deleteUser(user.id)
      expect(await db.user(user.id)).toBeNull()
      expect(await db.session(session.sessionToken)).toBeNull()
      expect(await db.account(accountKey)).toBeNull()
    })
  })
}

suiteSequence('for a user with every field', {
  email: 'suite-user@example.com',
  name: 'Suite User',
  image: 'https://example.com/avatar.png',
  emailVerified: new Date('2024-01-01T12:34:56.789Z'),
})

suiteSequence('for a user who signed in by email (name and image null)', {
  email: 'email-user@example.com',
  name: null,
  image: null,
  emailVerified: new Date('2024-02-03T04:05:06.789Z'),
})

describe('Auth.js adapter suite sequence: WebAuthn', () => {
  const webauthnUser = {
    id: randomUUID(),
    email: 'passkey-user@example.com',
    name: 'Passkey User',
    image: null,
    emailVerified: null,
  }
  const webauthnAccount = {
    provider: 'webauthn',
    providerAccountId: randomUUID(),
    type: 'webauthn',
    userId: webauthnUser.id,
  }
  const otherUser = { id: randomUUID(), email: 'other-passkey@example.com', emailVerified: null }
  const otherAccount = {
    provider: 'webauthn',
    providerAccountId: randomUUID(),
    type: 'webauthn',
    userId: otherUser.id,
  }
  const authenticatorFor = (owner, ownerAccount, overrides = {}) => ({
    credentialID: randomUUID(),
    userId: owner.id,
    providerAccountId: ownerAccount.providerAccountId,
    credentialPublicKey: randomUUID(),
    counter: 0,
    credentialDeviceType: 'multiDevice',
    credentialBackedUp: true,
    transports: 'internal,hybrid',
    ...overrides,
  })

  test('getAccount returns null for an unknown account and the linked WebAuthn account', async () => {
    await adapter.createUser(webauthnUser)
    await adapter.linkAccount(webauthnAccount)
    expect(await adapter.getAccount(randomUUID(), 'webauthn')).toBeNull()
    expect(await adapter.getAccount(webauthnAccount.providerAccountId, 'webauthn')).toEqual(webauthnAccount)
  })

  test('createAuthenticator stores the authenticator', async () => {
    const authenticator = authenticatorFor(webauthnUser, webauthnAccount, { credentialBackedUp: false })
    const created = await adapter.createAuthenticator(authenticator)
    expect(created).toMatchObject(authenticator)
    expect(await db.authenticator(authenticator.credentialID)).toEqual(authenticator)
  })

  test('getAuthenticator returns null for an unknown credential and the authenticator for a known one', async () => {
    const authenticator = authenticatorFor(webauthnUser, webauthnAccount)
    await adapter.createAuthenticator(authenticator)
    expect(await adapter.getAuthenticator(randomUUID())).toBeNull()
    expect(await adapter.getAuthenticator(authenticator.credentialID)).toEqual(authenticator)
  })

  test('listAuthenticatorsByUserId returns each user’s authenticators and [] for unknown users', async () => {
    const listUser = { id: randomUUID(), email: 'list-user@example.com', emailVerified: null }
    const listAccount = { provider: 'webauthn', providerAccountId: randomUUID(), type: 'webauthn', userId: listUser.id }
    await adapter.createUser(listUser)
    await adapter.linkAccount(listAccount)
    await adapter.createUser(otherUser)
    await adapter.linkAccount(otherAccount)

    const first = authenticatorFor(listUser, listAccount)
    const second = authenticatorFor(listUser, listAccount, { transports: null })
    const others = authenticatorFor(otherUser, otherAccount)
    for (const a of [first, second, others]) await adapter.createAuthenticator(a)

    const forListUser = await adapter.listAuthenticatorsByUserId(listUser.id)
    expect(forListUser).toHaveLength(2)
    expect(forListUser).toEqual(expect.arrayContaining([first, second]))
    expect(await adapter.listAuthenticatorsByUserId(otherUser.id)).toEqual([others])
    expect(await adapter.listAuthenticatorsByUserId(randomUUID())).toEqual([])
  })

  test('updateAuthenticatorCounter returns and stores the new counter', async () => {
    const authenticator = authenticatorFor(otherUser, otherAccount, { counter: 5 })
    await adapter.createAuthenticator(authenticator)
    const updated = await adapter.updateAuthenticatorCounter(authenticator.credentialID, 6)
    expect(updated).toEqual({ ...authenticator, counter: 6 })
    expect((await db.authenticator(authenticator.credentialID)).counter).toBe(6)
  })

  test('updateAuthenticatorCounter rejects for an unknown credential', async () => {
    await expect(adapter.updateAuthenticatorCounter(randomUUID(), 1)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
