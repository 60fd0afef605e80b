'use strict'
/**
 * A Jest conformance kit for Auth.js database adapters.
 *
 * `describeAdapter(name, factory, options)` registers `describe`/`test` blocks that check an
 * adapter against the contract Auth.js relies on, using only the adapter's own methods
 * (black box). Each failure explains what Auth.js needs and why.
 *
 * It uses Jest's globals (`describe`, `test`, `expect`, `beforeAll`, `afterAll`), so import it
 * from a Jest test file. Importing the package's main entry never loads this file.
 */
const { randomUUID, createHash } = require('node:crypto')

/** Every contract id, in the order the tests run. Pass ids in `options.skip` to skip them. */
const CONTRACTS = [
  'ownMethods',
  'createUser',
  'getUser',
  'getUserByEmail',
  'userWithoutEmail',
  'nullUserFields',
  'uniqueEmail',
  'updateUser',
  'updateUserUnknown',
  'linkAccount',
  'getUserByAccount',
  'uniqueAccount',
  'createSession',
  'getSessionAndUser',
  'updateSession',
  'deleteSession',
  'reuseSessionToken',
  'createVerificationToken',
  'useVerificationToken',
  'concurrentUseVerificationToken',
  'unlinkAccount',
  'extraUserProperties',
  'extraAccountProperties',
  'getAccount',
  'createAuthenticator',
  'getAuthenticator',
  'listAuthenticatorsByUserId',
  'updateAuthenticatorCounter',
  'deleteUser',
]

const WEBAUTHN = ['getAccount', 'createAuthenticator', 'getAuthenticator', 'listAuthenticatorsByUserId', 'updateAuthenticatorCounter']
const EXTRAS = ['extraUserProperties', 'extraAccountProperties']

/** The 19 methods of the `@auth/core/adapters` Adapter interface, in the interface's order. */
const { AUTHJS_METHODS } = require('../lib/methods.js')
/** The methods only WebAuthn (passkeys) needs. */
const WEBAUTHN_METHODS = ['getAccount', 'getAuthenticator', 'createAuthenticator', 'listAuthenticatorsByUserId', 'updateAuthenticatorCounter']
/** The methods every database adapter needs. */
const ADAPTER_METHODS = AUTHJS_METHODS.filter((name) => !WEBAUTHN_METHODS.includes(name))

/** Runs `check` (sync or async) and, if it fails, puts `why` (what Auth.js needs) in front of the failure. Always await it. */
async function because(why, check) {
  try {
    return await check()
  } catch (error) {
    throw explain(why, error)
  }
}

function explain(why, error) {
  if (error instanceof Error) {
    error.message = `Auth.js needs: ${why}\n\n${error.message}`
    return error
  }
  return new Error(`Auth.js needs: ${why}\n\n${String(error)}`)
}

/** Awaits a promise that must reject; returns the rejection. */
async function rejection(promise) {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the call to reject, but it resolved')
}

/**
 * Realm-independent type checks: Jest runs tests in their own VM context, so an Error or Date
 * made by a native addon or another realm fails `toBeInstanceOf` even when it is genuine.
 */
const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'
const isError = (value) =>
  value instanceof Error ||
  Object.prototype.toString.call(value) === '[object Error]' ||
  (typeof value === 'object' && value !== null && typeof value.message === 'string' && typeof value.stack === 'string')

/** A Date in the future with milliseconds kept. */
function later(ms) {
  return new Date(Date.now() + ms)
}

/**
 * Registers the conformance tests for one adapter.
 *
 * @param {string} name - the describe block's title
 * @param {() => Promise<{ adapter: object, teardown?: () => unknown }> | { adapter: object, teardown?: () => unknown }} factory
 *   - creates a fresh adapter on an empty database (called once, before the tests)
 * @param {{ webauthn?: boolean, extras?: boolean, skip?: string[], knownFailures?: string[] }} [options]
 */
function describeAdapter(name, factory, options = {}) {
  const { webauthn = false, extras = false, skip = [], knownFailures = [] } = options
  for (const [option, ids] of [['skip', skip], ['knownFailures', knownFailures]]) {
    for (const id of ids) {
      if (!CONTRACTS.includes(id)) {
        throw new Error(
          `describeAdapter: unknown contract ${JSON.stringify(id)} in ${option}; known: ${CONTRACTS.join(', ')}`,
        )
      }
    }
  }
  const enabled = (id) =>
    !skip.includes(id) && (webauthn || !WEBAUTHN.includes(id)) && (extras || !EXTRAS.includes(id))

  describe(name, () => {
    let context
    /** @type {Record<string, Function>} */
    let a
    const state = {}

    beforeAll(async () => {
      context = await factory()
      a = context.adapter
    })
    afterAll(async () => {
      if (context && typeof context.teardown === 'function') await context.teardown()
    })

    // A known failure runs as `test.failing`: green while the adapter still breaks the contract,
    // red once it meets it (time to claim it).
    const runner = (id) => (knownFailures.includes(id) ? test.failing : enabled(id) ? test : test.skip)
    const contract = (id, title, fn) => runner(id)(`[${id}] ${title}`, fn)

    const newUser = (overrides = {}) => ({
      id: randomUUID(),
      name: 'Fill Murray',
      email: `fill-${randomUUID()}@murray.com`,
      image: 'https://example.com/fill.png',
      emailVerified: new Date(),
      ...overrides,
    })
    const newAccount = (userId, overrides = {}) => ({
      userId,
      type: 'oauth',
      provider: 'github',
      providerAccountId: randomUUID(),
      access_token: randomUUID(),
      refresh_token: randomUUID(),
      id_token: randomUUID(),
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      token_type: 'bearer',
      scope: 'read:user',
      session_state: randomUUID(),
      ...overrides,
    })
    const newToken = () => ({
      identifier: `someone-${randomUUID()}@example.com`,
      token: createHash('sha256').update(`${randomUUID()}secret`).digest('hex'),
      expires: later(15 * 60 * 1000),
    })
    const createUser = async (overrides) => {
      const user = await a.createUser(newUser(overrides))
      return user
    }

    contract('ownMethods', 'every method is an own property that works when called detached', async () => {
      const required = webauthn ? [...ADAPTER_METHODS, ...WEBAUTHN_METHODS] : ADAPTER_METHODS
      for (const method of required) {
        await because(
          `${method} as an own enumerable function property: Auth.js wraps the adapter with Object.keys(adapter), so prototype methods silently vanish`,
          () => expect(Object.keys(a)).toContain(method),
        )
        await because(`${method} to be a function`, () => expect(typeof a[method]).toBe('function'))
      }
      const { getUser } = a
      await because('methods to work without `this`: Auth.js calls them unbound', async () =>
        expect(await getUser(randomUUID())).toBeNull(),
      )
    })

    contract('createUser', 'createUser returns the stored user with its id and a Date emailVerified', async () => {
      const input = newUser()
      const user = await a.createUser(input)
      await because('the returned user to carry an id: Auth.js links accounts and sessions to it', () =>
        expect(typeof user.id).toBe('string'),
      )
      await because('emailVerified back as a Date with its milliseconds: Auth.js compares dates with valueOf()', () => {
        expect(isDate(user.emailVerified)).toBe(true)
        expect(user.emailVerified.valueOf()).toBe(input.emailVerified.valueOf())
      })
      expect(user).toMatchObject({ name: input.name, email: input.email, image: input.image })
      state.user = user
    })

    contract('getUser', 'getUser finds a user by id, and returns null for an unknown id', async () => {
      const user = state.user ?? (await createUser())
      await because('getUser(id) to return what createUser stored (JWT sign-in reads the user by the cookie subject)', async () =>
        expect(await a.getUser(user.id)).toEqual(user),
      )
      await because('null (not undefined, not a throw) for an unknown id', async () =>
        expect(await a.getUser(randomUUID())).toBeNull(),
      )
    })

    contract('getUserByEmail', 'getUserByEmail finds a user by email, and returns null for an unknown email', async () => {
      const user = state.user ?? (await createUser())
      await because('getUserByEmail to find the user: every magic-link request and OAuth first sign-in looks the email up', async () =>
        expect(await a.getUserByEmail(user.email)).toEqual(user),
      )
      await because('null for an unknown email: any truthy value reads as "email taken" and breaks sign-up with OAuthAccountNotLinked', async () =>
        expect(await a.getUserByEmail(`nobody-${randomUUID()}@example.com`)).toBeNull(),
      )
    })

    contract('userWithoutEmail', 'users without an email can be created, and read back with email null', async () => {
      const first = await a.createUser({ id: randomUUID(), emailVerified: null })
      const second = await a.createUser({ id: randomUUID(), emailVerified: null })
      await because('several users without email to coexist: the email column is nullable and unique only when present', async () => {
        expect(await a.getUser(first.id)).not.toBeNull()
        expect(await a.getUser(second.id)).not.toBeNull()
      })
      await because('an empty email to read back as a present null, as the SQL adapters return it (`user.email === null`)', async () => {
        const read = await a.getUser(first.id)
        expect(read).toHaveProperty('email', null)
      })
    })

    contract('nullUserFields', 'a user whose name and image are null (signed in by email) reads back with them null', async () => {
      const user = await a.createUser(newUser({ name: null, image: null }))
      const expected = { ...user, name: null, image: null }
      await because('createUser to return name and image as present nulls', () => {
        expect(user).toHaveProperty('name', null)
        expect(user).toHaveProperty('image', null)
      })
      await because('getUser and getUserByEmail to return the same nulls: code checks `user.image === null` and snapshots session.user', async () => {
        expect(await a.getUser(user.id)).toStrictEqual(expected)
        expect(await a.getUserByEmail(user.email)).toStrictEqual(expected)
      })
    })

    contract('uniqueEmail', 'a second user with the same email is refused', async () => {
      const user = await createUser()
      const error = await rejection(a.createUser(newUser({ email: user.email })))
      await because('createUser to reject a duplicate email: two accounts for one address would split a person in two', () =>
        expect(isError(error)).toBe(true),
      )
    })

    contract('updateUser', 'updateUser changes only the given fields and returns the whole user', async () => {
      const user = await createUser()
      const updated = await a.updateUser({ id: user.id, name: 'Updated Name' })
      await because('updateUser to return the whole updated user', () =>
        expect(updated).toEqual({ ...user, name: 'Updated Name' }),
      )
      await because('a partial update to leave other fields alone (email sign-in passes only emailVerified)', async () =>
        expect(await a.getUser(user.id)).toEqual({ ...user, name: 'Updated Name' }),
      )
      const cleared = await a.updateUser({ id: user.id, image: null })
      await because('a field cleared with null to read back as a present null, not vanish', async () => {
        expect(cleared).toHaveProperty('image', null)
        expect(await a.getUser(user.id)).toHaveProperty('image', null)
      })
    })

    contract('updateUserUnknown', 'updateUser of an unknown id rejects', async () => {
      const error = await rejection(a.updateUser({ id: randomUUID(), name: 'Ghost' }))
      await because('updateUser to reject for a user that does not exist rather than invent one', () =>
        expect(isError(error)).toBe(true),
      )
    })

    contract('linkAccount', 'linkAccount stores an account for a user', async () => {
      const user = state.user ?? (await createUser())
      const account = newAccount(user.id)
      await a.linkAccount(account)
      state.account = account
      await because('the linked account to lead back to its user', async () =>
        expect(await a.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId })).toEqual(
          await a.getUser(user.id),
        ),
      )
    })

    contract('getUserByAccount', 'getUserByAccount returns null for an unknown provider account', async () => {
      await because('null for an unknown (provider, providerAccountId): every OAuth callback asks this first', async () =>
        expect(await a.getUserByAccount({ provider: 'github', providerAccountId: randomUUID() })).toBeNull(),
      )
    })

    contract('uniqueAccount', 'the same provider account cannot be linked twice', async () => {
      const user = await createUser()
      const account = newAccount(user.id)
      await a.linkAccount(account)
      const other = await createUser()
      const error = await rejection(a.linkAccount({ ...account, userId: other.id }))
      await because('(provider, providerAccountId) to be unique: otherwise one GitHub login could sign in as two users', () =>
        expect(isError(error)).toBe(true),
      )
    })

    contract('createSession', 'createSession stores a session with a Date expiry', async () => {
      const user = state.user ?? (await createUser())
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(30 * 24 * 3600 * 1000) }
      const created = await a.createSession(session)
      await because('createSession to return the session with expires as a Date', () => expect(created).toMatchObject(session))
      state.session = session
    })

    contract('getSessionAndUser', 'getSessionAndUser returns the session with its user, and null for an unknown token', async () => {
      const user = await createUser()
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(24 * 3600 * 1000) }
      await a.createSession(session)
      const found = await a.getSessionAndUser(session.sessionToken)
      await because('{ session, user } for a valid token: this runs on every request of a signed-in user', () =>
        expect(found).toEqual({ session: expect.objectContaining(session), user }),
      )
      await because('session.expires as a Date: Auth.js checks expires.valueOf() < Date.now(); a string disables expiry', () =>
        expect(isDate(found.session.expires)).toBe(true),
      )
      await because('null for an unknown token (the user is treated as signed out)', async () =>
        expect(await a.getSessionAndUser(randomUUID())).toBeNull(),
      )
    })

    contract('updateSession', 'updateSession extends the expiry of a session', async () => {
      const user = await createUser()
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(3600 * 1000) }
      await a.createSession(session)
      const expires = later(30 * 24 * 3600 * 1000)
      await a.updateSession({ sessionToken: session.sessionToken, expires })
      const found = await a.getSessionAndUser(session.sessionToken)
      await because('the new expiry to be stored: Auth.js extends sessions at most once per updateAge', () =>
        expect(found.session.expires.valueOf()).toBe(expires.valueOf()),
      )
    })

    contract('deleteSession', 'deleteSession removes the session', async () => {
      const user = await createUser()
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(3600 * 1000) }
      await a.createSession(session)
      await a.deleteSession(session.sessionToken)
      await because('a deleted session to be gone: sign-out calls deleteSession', async () =>
        expect(await a.getSessionAndUser(session.sessionToken)).toBeNull(),
      )
    })

    contract('reuseSessionToken', 'a deleted session token can be stored again', async () => {
      const user = await createUser()
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(3600 * 1000) }
      await a.createSession(session)
      await a.deleteSession(session.sessionToken)
      await because('re-inserting a deleted key to work (no soft-delete leftovers blocking the key)', () =>
        a.createSession(session),
      )
      expect(await a.getSessionAndUser(session.sessionToken)).not.toBeNull()
    })

    contract('createVerificationToken', 'createVerificationToken stores a token that can be used once', async () => {
      const token = newToken()
      await a.createVerificationToken(token)
      await because('useVerificationToken to return the stored token with expires as a Date', async () =>
        expect(await a.useVerificationToken({ identifier: token.identifier, token: token.token })).toEqual(token),
      )
    })

    contract('useVerificationToken', 'useVerificationToken is single use and matches identifier and token', async () => {
      const token = newToken()
      await a.createVerificationToken(token)
      await because('null for a wrong identifier: both identifier and token must match', async () =>
        expect(await a.useVerificationToken({ identifier: `other-${randomUUID()}@example.com`, token: token.token })).toBeNull(),
      )
      expect(await a.useVerificationToken({ identifier: token.identifier, token: token.token })).toEqual(token)
      await because('null on the second use: a magic link must sign in only once', async () =>
        expect(await a.useVerificationToken({ identifier: token.identifier, token: token.token })).toBeNull(),
      )
    })

    contract('concurrentUseVerificationToken', 'of 50 concurrent uses of one token exactly one succeeds', async () => {
      const token = newToken()
      await a.createVerificationToken(token)
      const results = await Promise.all(
        Array.from({ length: 50 }, () => a.useVerificationToken({ identifier: token.identifier, token: token.token })),
      )
      await because('exactly one winner: find-then-delete in two steps lets a replayed link sign in twice', () =>
        expect(results.filter((r) => r !== null && r !== undefined)).toHaveLength(1),
      )
    })

    contract('unlinkAccount', 'unlinkAccount removes the account, which can then be linked again', async () => {
      const user = await createUser()
      const account = newAccount(user.id)
      await a.linkAccount(account)
      await a.unlinkAccount({ provider: account.provider, providerAccountId: account.providerAccountId })
      await because('an unlinked account to no longer sign anyone in', async () =>
        expect(await a.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId })).toBeNull(),
      )
      await because('linking the same account again after unlinking to work', () => a.linkAccount(account))
    })

    contract('extraUserProperties', 'extra user properties round-trip with their types', async () => {
      const born = new Date('1990-01-02T03:04:05.678Z')
      const extra = { role: 'admin', phone: '00000000000', logins: 3, beta: true, note: null, born, tags: ['a', 'b'], prefs: { theme: 'dark', since: born } }
      const user = await createUser(extra)
      await because('properties added by a profile() callback to be stored and returned with their types', async () =>
        expect(await a.getUser(user.id)).toMatchObject(extra),
      )
    })

    contract('extraAccountProperties', 'provider-specific account fields are stored, never breaking linkAccount', async () => {
      const user = await createUser()
      const account = newAccount(user.id, { refresh_token_expires_in: 15897600, ext_expires_in: 3599, 'not-before-policy': 0 })
      await because('linkAccount to accept provider-specific token fields (GitHub, Azure AD, Keycloak send them)', () =>
        a.linkAccount(account),
      )
      if (typeof a.getAccount === 'function') {
        await because('the provider-specific fields to come back (apps read them, e.g. to refresh tokens)', async () =>
          expect(await a.getAccount(account.providerAccountId, account.provider)).toMatchObject(account),
        )
      }
    })

    contract('getAccount', 'getAccount takes (providerAccountId, provider) and returns null when either is wrong', async () => {
      const user = await a.createUser({ id: randomUUID(), email: `webauthn-${randomUUID()}@example.com`, emailVerified: null })
      const account = { userId: user.id, type: 'oauth', provider: 'auth0', providerAccountId: randomUUID() }
      await a.linkAccount(account)
      await because('the account for (providerAccountId, provider), in that order', async () =>
        expect(await a.getAccount(account.providerAccountId, account.provider)).toMatchObject(account),
      )
      await because('null when the provider is wrong', async () => expect(await a.getAccount(account.providerAccountId, 'other')).toBeNull())
      await because('null when the id is wrong', async () => expect(await a.getAccount(randomUUID(), account.provider)).toBeNull())
    })

    const newAuthenticator = (userId, providerAccountId, overrides = {}) => ({
      credentialID: randomUUID(),
      userId,
      providerAccountId,
      credentialPublicKey: randomUUID(),
      counter: 3,
      credentialBackedUp: true,
      credentialDeviceType: 'platform',
      transports: 'usb,ble,nfc',
      ...overrides,
    })
    const webauthnUser = async () => {
      const user = await a.createUser({ id: randomUUID(), email: `passkey-${randomUUID()}@example.com`, emailVerified: null })
      const account = { userId: user.id, type: 'webauthn', provider: 'webauthn', providerAccountId: randomUUID() }
      await a.linkAccount(account)
      return { user, account }
    }

    contract('createAuthenticator', 'createAuthenticator returns the credential with real booleans and numbers', async () => {
      const { user, account } = await webauthnUser()
      const input = newAuthenticator(user.id, account.providerAccountId)
      await because('credentialBackedUp as a boolean and counter as a number (not 1 / "3")', async () =>
        expect(await a.createAuthenticator(input)).toMatchObject(input),
      )
      const error = await rejection(a.createAuthenticator(input))
      await because('createAuthenticator to reject a duplicate credentialID: Auth.js relies on the rejection', () =>
        expect(isError(error)).toBe(true),
      )
    })

    contract('getAuthenticator', 'getAuthenticator finds a credential by id, and returns null for an unknown one', async () => {
      const { user, account } = await webauthnUser()
      const input = newAuthenticator(user.id, account.providerAccountId, { credentialBackedUp: false })
      await a.createAuthenticator(input)
      await because('the credential for its id (every passkey sign-in starts here)', async () =>
        expect(await a.getAuthenticator(input.credentialID)).toMatchObject(input),
      )
      await because('null for an unknown credential', async () => expect(await a.getAuthenticator(randomUUID())).toBeNull())
    })

    contract('listAuthenticatorsByUserId', 'listAuthenticatorsByUserId returns every credential of a user', async () => {
      const one = await webauthnUser()
      const two = await webauthnUser()
      const a1 = newAuthenticator(one.user.id, one.account.providerAccountId)
      const a2 = newAuthenticator(one.user.id, one.account.providerAccountId)
      const b1 = newAuthenticator(two.user.id, two.account.providerAccountId)
      for (const x of [a1, a2, b1]) await a.createAuthenticator(x)
      const listed = await a.listAuthenticatorsByUserId(one.user.id)
      await because("all of the user's credentials and no one else's", () => {
        expect(listed).toHaveLength(2)
        expect(listed).toEqual(expect.arrayContaining([expect.objectContaining(a1), expect.objectContaining(a2)]))
      })
      await because('[] (not null) for an unknown user', async () => expect(await a.listAuthenticatorsByUserId(randomUUID())).toEqual([]))
    })

    contract('updateAuthenticatorCounter', 'updateAuthenticatorCounter stores the counter and rejects for an unknown credential', async () => {
      const { user, account } = await webauthnUser()
      const input = newAuthenticator(user.id, account.providerAccountId)
      await a.createAuthenticator(input)
      const updated = await a.updateAuthenticatorCounter(input.credentialID, input.counter + 1)
      await because('the updated credential with the new counter (replay protection depends on it)', () =>
        expect(updated.counter).toBe(input.counter + 1),
      )
      const error = await rejection(a.updateAuthenticatorCounter(randomUUID(), 1))
      await because('a rejection for an unknown credential, not a silent success', () => expect(isError(error)).toBe(true))
    })

    contract('deleteUser', 'deleteUser removes the user with their sessions and accounts', async () => {
      const user = await createUser()
      const session = { sessionToken: randomUUID(), userId: user.id, expires: later(3600 * 1000) }
      const account = newAccount(user.id)
      await a.createSession(session)
      await a.linkAccount(account)
      await a.deleteUser(user.id)
      await because('the user to be gone', async () => expect(await a.getUser(user.id)).toBeNull())
      await because('their sessions to go with them (a deleted user must not stay signed in)', async () =>
        expect(await a.getSessionAndUser(session.sessionToken)).toBeNull(),
      )
      await because('their accounts to go with them (the OAuth login must not point at a missing user)', async () =>
        expect(await a.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId })).toBeNull(),
      )
    })
  })
}

module.exports = { describeAdapter, CONTRACTS, AUTHJS_METHODS }
