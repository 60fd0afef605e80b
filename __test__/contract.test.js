'use strict'
// The shape Auth.js relies on: a plain object of own, enumerable, detachable, Promise-returning
// methods, reachable from CommonJS and ESM.
const { spawnSync } = require('node:child_process')
const path = require('node:path')
const { AUTHJS_METHODS, RustAdapter, newAdapter, sqliteTest, storeConfig, tempFile, userFixture, sessionFixture } = require('./helpers')

/** Well-formed arguments for each method (the rows they name need not exist). */
const VALID_ARGS = (() => {
  const expires = new Date(Date.now() + 60000)
  const key = { provider: 'github', providerAccountId: 'gh-1' }
  return {
    createUser: [{ id: 'u1', email: 'u1@example.com', emailVerified: null }],
    getUser: ['u1'],
    getUserByEmail: ['u1@example.com'],
    getUserByAccount: [key],
    updateUser: [{ id: 'u1', name: 'x' }],
    deleteUser: ['u1'],
    linkAccount: [{ userId: 'u1', type: 'oauth', ...key }],
    unlinkAccount: [key],
    getAccount: ['gh-1', 'github'],
    createSession: [{ sessionToken: 's1', userId: 'u1', expires }],
    getSessionAndUser: ['s1'],
    updateSession: [{ sessionToken: 's1', expires }],
    deleteSession: ['s1'],
    createVerificationToken: [{ identifier: 'u1@example.com', token: 't1', expires }],
    useVerificationToken: [{ identifier: 'u1@example.com', token: 't1' }],
    createAuthenticator: [
      {
        credentialID: 'c1',
        userId: 'u1',
        providerAccountId: 'pa',
        credentialPublicKey: 'pk',
        counter: 0,
        credentialDeviceType: 'singleDevice',
        credentialBackedUp: false,
      },
    ],
    getAuthenticator: ['c1'],
    listAuthenticatorsByUserId: ['u1'],
    updateAuthenticatorCounter: ['c1', 1],
  }
})()

const isPromise = (value) => Object.prototype.toString.call(value) === '[object Promise]'

/** Calls `fn` and reports a synchronous throw as a value instead of letting it escape. */
function callCatchingSync(fn, args) {
  try {
    return { returned: fn(...args) }
  } catch (error) {
    return { threw: error }
  }
}

describe('adapter object', () => {
  test('RustAdapter returns a plain object', () => {
    const adapter = newAdapter()
    expect(Object.getPrototypeOf(adapter)).toBe(Object.prototype)
  })

  test('the own enumerable keys are the 19 Auth.js methods, close and prune, and the session management methods', async () => {
    // newAdapter() adds `config` and `filename` convenience properties, so look at a bare adapter.
    const bare = RustAdapter(storeConfig())
    const keys = Object.keys(bare)
    await bare.close()
    const sessionManagement = ['listSessions', 'revokeSession', 'revokeUserSessions', 'createSessionFor', 'withRequest', 'expressMiddleware']
    expect(keys.sort()).toEqual([...AUTHJS_METHODS, 'close', 'prune', ...sessionManagement].sort())
  })

  test.each([...AUTHJS_METHODS, 'close'])('%s is an own enumerable function', (name) => {
    const adapter = newAdapter()
    const descriptor = Object.getOwnPropertyDescriptor(adapter, name)
    expect(descriptor).toBeDefined()
    expect(descriptor.enumerable).toBe(true)
    expect(typeof descriptor.value).toBe('function')
  })

  sqliteTest('RustAdapter() with no config uses auth.sqlite in the current directory', () => {
    const dir = path.dirname(tempFile())
    const result = spawnSync(
      process.execPath,
      [
        '-e',
        `const { RustAdapter } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
         const a = RustAdapter();
         a.createUser({ email: 'cwd@example.com' })
           .then(() => a.close())
           .then(() => console.log(require('node:fs').existsSync('auth.sqlite')))`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 20000 },
    )
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('true')
  })
})

describe('detached methods', () => {
  test('destructured user methods work without `this`', async () => {
    const adapter = newAdapter()
    const { createUser, getUser, getUserByEmail, updateUser, deleteUser } = adapter
    const user = userFixture()
    await createUser(user)
    expect(await getUser(user.id)).toEqual(user)
    expect(await getUserByEmail(user.email)).toEqual(user)
    expect(await updateUser({ id: user.id, name: 'Detached' })).toEqual({ ...user, name: 'Detached' })
    expect(await deleteUser(user.id)).toEqual({ ...user, name: 'Detached' })
    expect(await getUser(user.id)).toBeNull()
  })

  test('destructured account methods work without `this`', async () => {
    const adapter = newAdapter()
    const { createUser, linkAccount, getAccount, getUserByAccount, unlinkAccount } = adapter
    const user = await createUser(userFixture())
    const account = { userId: user.id, type: 'oauth', provider: 'github', providerAccountId: 'gh-1' }
    expect(await linkAccount(account)).toEqual(account)
    expect(await getAccount('gh-1', 'github')).toEqual(account)
    expect(await getUserByAccount({ provider: 'github', providerAccountId: 'gh-1' })).toEqual(user)
    expect(await unlinkAccount({ provider: 'github', providerAccountId: 'gh-1' })).toEqual(account)
  })

  test('destructured session methods work without `this`', async () => {
    const adapter = newAdapter()
    const { createUser, createSession, getSessionAndUser, updateSession, deleteSession } = adapter
    const user = await createUser(userFixture())
    const session = sessionFixture(user.id)
    expect(await createSession(session)).toEqual(session)
    expect(await getSessionAndUser(session.sessionToken)).toEqual({ session, user })
    const expires = new Date(session.expires.getTime() + 1000)
    expect(await updateSession({ sessionToken: session.sessionToken, expires })).toEqual({ ...session, expires })
    expect(await deleteSession(session.sessionToken)).toEqual({ ...session, expires })
  })

  test('destructured verification token methods work without `this`', async () => {
    const adapter = newAdapter()
    const { createVerificationToken, useVerificationToken } = adapter
    const token = { identifier: 'a@example.com', token: 'tok', expires: new Date(Date.now() + 60000) }
    expect(await createVerificationToken(token)).toEqual(token)
    expect(await useVerificationToken({ identifier: token.identifier, token: token.token })).toEqual(token)
  })

  test('destructured authenticator methods work without `this`', async () => {
    const adapter = newAdapter()
    const { createUser, createAuthenticator, getAuthenticator, listAuthenticatorsByUserId, updateAuthenticatorCounter } =
      adapter
    const user = await createUser(userFixture())
    const authenticator = {
      credentialID: 'cred-1',
      userId: user.id,
      providerAccountId: 'pa-1',
      credentialPublicKey: 'key',
      counter: 1,
      credentialDeviceType: 'singleDevice',
      credentialBackedUp: false,
      transports: null,
    }
    expect(await createAuthenticator(authenticator)).toEqual(authenticator)
    expect(await getAuthenticator('cred-1')).toEqual(authenticator)
    expect(await listAuthenticatorsByUserId(user.id)).toEqual([authenticator])
    expect(await updateAuthenticatorCounter('cred-1', 2)).toEqual({ ...authenticator, counter: 2 })
  })

  test('a detached close works and later calls reject with CLOSED', async () => {
    const adapter = RustAdapter(storeConfig())
    const { close, getUser } = adapter
    await close()
    await expect(getUser('x')).rejects.toMatchObject({ code: 'CLOSED' })
  })

  test('an Auth.js-core-style wrapper calling every method unbound works end to end', async () => {
    const adapter = newAdapter()
    // Like @auth/core: copy each own key into a new object whose methods call the original
    // unbound, as `method(...args)`, with their own logging around it.
    const calls = []
    const wrapped = Object.keys(adapter).reduce((acc, key) => {
      const method = adapter[key]
      if (typeof method !== 'function') return acc
      acc[key] = async (...args) => {
        calls.push(key)
        const result = await method(...args)
        return result
      }
      return acc
    }, {})

    const user = await wrapped.createUser(userFixture())
    const session = await wrapped.createSession(sessionFixture(user.id))
    expect(await wrapped.getSessionAndUser(session.sessionToken)).toEqual({ session, user })
    expect(calls).toEqual(['createUser', 'createSession', 'getSessionAndUser'])
  })
})

describe('promises', () => {
  test.each(AUTHJS_METHODS)('%s returns a rejected Promise, not a sync throw, for a bad argument', async (name) => {
    const adapter = newAdapter()
    const outcome = callCatchingSync(adapter[name], [Symbol('bad')])
    expect(outcome.threw).toBeUndefined()
    expect(isPromise(outcome.returned)).toBe(true)
    await expect(outcome.returned).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  test.each(AUTHJS_METHODS)('%s returns a rejected Promise when called with no arguments', async (name) => {
    const adapter = newAdapter()
    const outcome = callCatchingSync(adapter[name], [])
    expect(outcome.threw).toBeUndefined()
    expect(isPromise(outcome.returned)).toBe(true)
    await expect(outcome.returned).rejects.toMatchObject({ code: 'INVALID_INPUT' })
  })

  test.each(AUTHJS_METHODS)('%s returns a Promise that rejects with CLOSED after close()', async (name) => {
    const adapter = RustAdapter(storeConfig())
    await adapter.close()
    const outcome = callCatchingSync(adapter[name], VALID_ARGS[name])
    expect(outcome.threw).toBeUndefined()
    expect(isPromise(outcome.returned)).toBe(true)
    await expect(outcome.returned).rejects.toMatchObject({ code: 'CLOSED' })
  })

  test('read methods resolve with a Promise on success', () => {
    const adapter = newAdapter()
    const result = adapter.getUser('nobody')
    expect(isPromise(result)).toBe(true)
    return expect(result).resolves.toBeNull()
  })

  test('rejections are Errors with a code matching the message prefix', async () => {
    const adapter = newAdapter()
    const error = await adapter.getUser(42).catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('INVALID_INPUT')
    expect(error.message.startsWith('INVALID_INPUT: ')).toBe(true)
  })
})

describe('ESM', () => {
  const root = path.resolve(__dirname, '..')

  function runModule(source) {
    return spawnSync(process.execPath, ['--input-type=module', '-e', source], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20000,
    })
  }

  test('the named ESM export RustAdapter imports by package name and creates a user', () => {
    const result = runModule(`
      import { RustAdapter } from 'authjs-rust-adapter'
      const adapter = RustAdapter(${JSON.stringify(storeConfig())})
      const user = await adapter.createUser({ email: 'esm-named@example.com', name: 'ESM' })
      const again = await adapter.getUser(user.id)
      await adapter.close()
      console.log(JSON.stringify({ type: typeof RustAdapter, email: again.email, name: again.name }))
    `)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ type: 'function', email: 'esm-named@example.com', name: 'ESM' })
  })

  test('the default ESM export is RustAdapter and creates a user', () => {
    const result = runModule(`
      import createAdapter, { RustAdapter } from 'authjs-rust-adapter'
      const adapter = createAdapter(${JSON.stringify(storeConfig())})
      const user = await adapter.createUser({ email: 'esm-default@example.com' })
      const again = await adapter.getUserByEmail('esm-default@example.com')
      await adapter.close()
      console.log(JSON.stringify({ same: createAdapter === RustAdapter, id: again.id === user.id }))
    `)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ same: true, id: true })
  })

  test('the ESM user is stored in the database and readable from CommonJS afterwards', async () => {
    const config = storeConfig()
    const result = runModule(`
      import { RustAdapter } from 'authjs-rust-adapter'
      const adapter = RustAdapter(${JSON.stringify(config)})
      const user = await adapter.createUser({ id: 'esm-user', email: 'esm-file@example.com' })
      await adapter.close()
    `)
    expect(result.status).toBe(0)
    const adapter = newAdapter(config)
    expect(await adapter.getUser('esm-user')).toMatchObject({ id: 'esm-user', email: 'esm-file@example.com' })
  })

  test('CommonJS require exposes RustAdapter as a named export and as default', () => {
    const cjs = require('..')
    expect(typeof cjs.RustAdapter).toBe('function')
    expect(cjs.default).toBe(cjs.RustAdapter)
  })
})
