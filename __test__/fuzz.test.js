'use strict'
// Property-based tests: random and hostile values thrown at every method. Every call must
// resolve or reject with an Error, the process must live on, and the file must stay intact.
const fc = require('fast-check')
const Database = require('better-sqlite3')
const { RustAdapter, sqliteTest, storeConfig, userFixture } = require('./helpers')

const isError = (e) => Object.prototype.toString.call(e) === '[object Error]'

// Values that have broken adapters before, mixed into fast-check's own.
const hostileString = fc.oneof(
  fc.string(),
  fc.constantFrom(
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '💥'.repeat(1000),
    '__proto__',
    'constructor',
    '1970-01-01T00:00:00Z',
    'not a date',
    '',
  ),
  fc.integer({ min: 1, max: 3 }).map((n) => 'x'.repeat(n * 700_000)),
)
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    hostileString,
    fc.double(),
    fc.constantFrom(NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, 2 ** 53 + 1),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: false }),
    fc.bigInt(),
    fc.constant(Symbol('s')),
    fc.constant(() => 1),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
    fc.constant(JSON.parse('{"__proto__": {"polluted": true}}')),
    fc.constant(Object.assign(Object.create(null), { bare: 1 })),
  ),
})).value

/** Plausible records with some fields replaced by hostile values. */
const record = (fields) =>
  fc.record(Object.fromEntries(fields.map((f) => [f, hostileValue])), { requiredKeys: [] }).chain((base) =>
    fc.dictionary(hostileString, hostileValue, { maxKeys: 3 }).map((extra) => ({ ...extra, ...base })),
  )

const calls = {
  createUser: fc.tuple(record(['id', 'email', 'name', 'image', 'emailVerified'])),
  getUser: fc.tuple(hostileValue),
  getUserByEmail: fc.tuple(hostileValue),
  getUserByAccount: fc.tuple(fc.oneof(hostileValue, record(['provider', 'providerAccountId']))),
  updateUser: fc.tuple(record(['id', 'email', 'name', 'emailVerified'])),
  deleteUser: fc.tuple(hostileValue),
  linkAccount: fc.tuple(record(['userId', 'type', 'provider', 'providerAccountId', 'expires_at', 'access_token'])),
  unlinkAccount: fc.tuple(record(['provider', 'providerAccountId'])),
  getAccount: fc.tuple(hostileValue, hostileValue),
  createSession: fc.tuple(record(['sessionToken', 'userId', 'expires'])),
  getSessionAndUser: fc.tuple(hostileValue),
  updateSession: fc.tuple(record(['sessionToken', 'userId', 'expires'])),
  deleteSession: fc.tuple(hostileValue),
  createVerificationToken: fc.tuple(record(['identifier', 'token', 'expires'])),
  useVerificationToken: fc.tuple(record(['identifier', 'token'])),
  createAuthenticator: fc.tuple(
    record(['credentialID', 'userId', 'providerAccountId', 'credentialPublicKey', 'counter', 'credentialDeviceType', 'credentialBackedUp', 'transports']),
  ),
  getAuthenticator: fc.tuple(hostileValue),
  listAuthenticatorsByUserId: fc.tuple(hostileValue),
  updateAuthenticatorCounter: fc.tuple(hostileValue, hostileValue),
}

const config = storeConfig({ sweepInterval: 0 })
const adapter = RustAdapter(config)
const outcomes = { resolved: 0, rejected: 0 }

afterAll(async () => {
  await adapter.close()
})

test.each(Object.keys(calls))('%s resolves or rejects with an Error for any input', async (method) => {
  await fc.assert(
    fc.asyncProperty(calls[method], async (args) => {
      let settled
      try {
        const promise = adapter[method](...args)
        expect(typeof promise.then).toBe('function')
        await promise
        settled = 'resolved'
      } catch (error) {
        if (!isError(error)) throw new Error(`${method} rejected with a non-Error: ${String(error)}`)
        expect(typeof error.code).toBe('string')
        settled = 'rejected'
      }
      outcomes[settled]++
    }),
    { numRuns: 150 },
  )
})

test('after the fuzzing, every call was answered and the database still reads and writes', async () => {
  expect(outcomes.resolved + outcomes.rejected).toBe(Object.keys(calls).length * 150)
  const again = RustAdapter(config)
  try {
    const user = await again.createUser(userFixture())
    expect(await again.getUser(user.id)).toEqual(user)
  } finally {
    await again.close()
  }
})

sqliteTest('the file passes integrity_check after the fuzzing', async () => {
  const db = new Database(config.filename, { readonly: true })
  const check = db.pragma('integrity_check', { simple: true })
  db.close()
  console.log(
    `fuzzing: ${Object.keys(calls).length} methods × 150 inputs: ${outcomes.resolved} resolved, ${outcomes.rejected} rejected with a coded Error, 0 crashes; integrity_check: ${check}`,
  )
  expect(outcomes.resolved + outcomes.rejected).toBe(Object.keys(calls).length * 150)
  expect(check).toBe('ok')
})

test('nothing was polluted on Object.prototype', () => {
  expect({}.polluted).toBeUndefined()
})
