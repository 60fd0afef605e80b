'use strict'
// Bad input: every method refuses wrong types, missing fields, invalid dates, oversized strings
// and `__proto__` keys with a coded Error naming the field, writes nothing on failure, and keeps
// working afterwards. SQL metacharacters are plain data.
const fs = require('node:fs')
const path = require('node:path')
const { randomUUID } = require('node:crypto')
const {
  RustAdapter,
  onPostgres,
  postgresTest,
  sqliteTest,
  tempFile,
  newAdapter,
  userFixture,
  accountFixture,
  sessionFixture,
  verificationTokenFixture,
  authenticatorFixture,
  inspect,
} = require('./helpers')

const MiB = 1024 * 1024
const TOO_LONG = 'x'.repeat(MiB + 1)

let db // one adapter shared by the rejection tables (rejected calls write nothing)
let seeded // a user with an account, a session and an authenticator in `db`

beforeAll(async () => {
  db = newAdapter()
  const user = await db.createUser(userFixture())
  const account = await db.linkAccount(accountFixture(user.id))
  const session = await db.createSession(sessionFixture(user.id))
  const authenticator = await db.createAuthenticator(authenticatorFixture(user.id, account.providerAccountId))
  seeded = { user, account, session, authenticator }
})

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Calls `call`, checks it returned a Promise (no synchronous throw) that rejected with an Error
 * whose code is `code` and whose message starts with `CODE: <field> `. Returns the error.
 */
async function expectRejection(call, code, field) {
  let result
  expect(() => {
    result = call()
  }).not.toThrow()
  expect(Object.prototype.toString.call(result)).toBe('[object Promise]')
  const error = await result.then(
    (value) => ({ resolvedWith: value }),
    (e) => e,
  )
  expect(error).toBeInstanceOf(Error)
  expect(error.code).toBe(code)
  if (field !== undefined) expect(error.message).toMatch(new RegExp(`^${escapeRegExp(code)}: ${escapeRegExp(field)}[ :]`))
  return error
}

const invalid = (call, field) => expectRejection(call, 'INVALID_INPUT', field)

/** Values that are not strings, each with a readable name. */
const NOT_STRINGS = [
  ['a number', 42],
  ['a boolean', true],
  ['an object', { id: 'x' }],
  ['an array', ['x']],
  ['null', null],
  ['undefined', undefined],
]

// [method, field named in the error, build the argument list from the bad value]
const STRING_ARGUMENTS = [
  ['getUser', 'id', (v) => [v]],
  ['getUserByEmail', 'email', (v) => [v]],
  ['deleteUser', 'userId', (v) => [v]],
  ['getAccount', 'providerAccountId', (v) => [v, 'github']],
  ['getAccount', 'provider', (v) => ['123', v]],
  ['getSessionAndUser', 'sessionToken', (v) => [v]],
  ['deleteSession', 'sessionToken', (v) => [v]],
  ['getAuthenticator', 'credentialID', (v) => [v]],
  ['listAuthenticatorsByUserId', 'userId', (v) => [v]],
  ['updateAuthenticatorCounter', 'credentialID', (v) => [v, 1]],
]

describe('a string argument of the wrong type', () => {
  const cases = STRING_ARGUMENTS.flatMap(([method, field, args]) =>
    NOT_STRINGS.map(([name, value]) => ({ method, field, name, args: () => args(value) })),
  )
  test.each(cases)('$method rejects $name as $field with INVALID_INPUT', async ({ method, field, args }) => {
    await invalid(() => db[method](...args()), field)
  })
})

describe('an empty string where an id or key is required', () => {
  test.each([
    ['getUser', 'id', () => ['']],
    ['getUserByEmail', 'email', () => ['']],
    ['deleteUser', 'userId', () => ['']],
    ['getAccount', 'providerAccountId', () => ['', 'github']],
    ['getAccount', 'provider', () => ['123', '']],
    ['getSessionAndUser', 'sessionToken', () => ['']],
    ['deleteSession', 'sessionToken', () => ['']],
    ['getAuthenticator', 'credentialID', () => ['']],
    ['listAuthenticatorsByUserId', 'userId', () => ['']],
    ['updateAuthenticatorCounter', 'credentialID', () => ['', 1]],
    ['createUser', 'user.id', () => [userFixture({ id: '' })]],
    ['updateUser', 'user.id', () => [{ id: '', name: 'x' }]],
    ['getUserByAccount', 'account.provider', () => [{ provider: '', providerAccountId: '1' }]],
    ['getUserByAccount', 'account.providerAccountId', () => [{ provider: 'github', providerAccountId: '' }]],
    ['unlinkAccount', 'account.providerAccountId', () => [{ provider: 'github', providerAccountId: '' }]],
    ['linkAccount', 'account.userId', () => [accountFixture('')]],
    ['linkAccount', 'account.type', () => [accountFixture(seeded.user.id, { type: '' })]],
    ['linkAccount', 'account.provider', () => [accountFixture(seeded.user.id, { provider: '' })]],
    ['linkAccount', 'account.providerAccountId', () => [accountFixture(seeded.user.id, { providerAccountId: '' })]],
    ['createSession', 'session.sessionToken', () => [sessionFixture(seeded.user.id, { sessionToken: '' })]],
    ['createSession', 'session.userId', () => [sessionFixture('')]],
    ['updateSession', 'session.sessionToken', () => [{ sessionToken: '', expires: new Date() }]],
    ['updateSession', 'session.userId', () => [{ sessionToken: seeded.session.sessionToken, userId: '' }]],
    ['createVerificationToken', 'verificationToken.identifier', () => [verificationTokenFixture({ identifier: '' })]],
    ['createVerificationToken', 'verificationToken.token', () => [verificationTokenFixture({ token: '' })]],
    ['useVerificationToken', 'verificationToken.identifier', () => [{ identifier: '', token: 't' }]],
    ['useVerificationToken', 'verificationToken.token', () => [{ identifier: 'a@b.c', token: '' }]],
    [
      'createAuthenticator',
      'authenticator.credentialID',
      () => [authenticatorFixture(seeded.user.id, 'pa', { credentialID: '' })],
    ],
  ])('%s rejects an empty %s with INVALID_INPUT', async (method, field, args) => {
    const error = await invalid(() => db[method](...args()), field)
    expect(error.message).toContain('empty')
  })
})

describe('an argument that is not an object', () => {
  const OBJECT_ARGUMENTS = [
    ['createUser', 'user'],
    ['updateUser', 'user'],
    ['getUserByAccount', 'account'],
    ['linkAccount', 'account'],
    ['unlinkAccount', 'account'],
    ['createSession', 'session'],
    ['updateSession', 'session'],
    ['createVerificationToken', 'verificationToken'],
    ['useVerificationToken', 'verificationToken'],
    ['createAuthenticator', 'authenticator'],
  ]
  const NOT_OBJECTS = [
    ['a string', 'someone@example.com'],
    ['a number', 7],
    ['a boolean', false],
    ['null', null],
    ['undefined', undefined],
    ['an array', [{ id: 'x' }]],
    ['a Date', new Date()],
  ]
  const cases = OBJECT_ARGUMENTS.flatMap(([method, entity]) =>
    NOT_OBJECTS.map(([name, value]) => ({ method, entity, name, value })),
  )
  test.each(cases)('$method rejects $name with INVALID_INPUT naming $entity', async ({ method, entity, value }) => {
    const error = await invalid(() => db[method](value), entity)
    expect(error.message).toContain('must be an object')
  })
})

// Valid inputs for the object-taking writes, built fresh for each case.
const valid = {
  user: () => userFixture(),
  account: () => accountFixture(seeded.user.id),
  session: () => sessionFixture(seeded.user.id),
  verificationToken: () => verificationTokenFixture(),
  authenticator: () => authenticatorFixture(seeded.user.id, seeded.account.providerAccountId),
}
const CREATE_METHOD = {
  user: 'createUser',
  account: 'linkAccount',
  session: 'createSession',
  verificationToken: 'createVerificationToken',
  authenticator: 'createAuthenticator',
}
const create = {
  user: (v) => db.createUser(v),
  account: (v) => db.linkAccount(v),
  session: (v) => db.createSession(v),
  verificationToken: (v) => db.createVerificationToken(v),
  authenticator: (v) => db.createAuthenticator(v),
}

describe('a missing required field', () => {
  const REQUIRED = {
    account: ['userId', 'type', 'provider', 'providerAccountId'],
    session: ['sessionToken', 'userId', 'expires'],
    verificationToken: ['identifier', 'token', 'expires'],
    authenticator: [
      'credentialID',
      'userId',
      'providerAccountId',
      'credentialPublicKey',
      'counter',
      'credentialDeviceType',
      'credentialBackedUp',
    ],
  }
  const cases = Object.entries(REQUIRED).flatMap(([entity, fields]) =>
    fields.map((field) => ({ entity, field, method: CREATE_METHOD[entity] })),
  )

  test.each(cases)('$method without $entity.$field rejects with INVALID_INPUT naming it', async ({ entity, field }) => {
    const input = valid[entity]()
    delete input[field]
    const error = await invalid(() => create[entity](input), `${entity}.${field}`)
    expect(error.message).toContain('is required')
  })

  test.each(cases)('$method with $entity.$field undefined rejects with INVALID_INPUT', async ({ entity, field }) => {
    await invalid(() => create[entity]({ ...valid[entity](), [field]: undefined }), `${entity}.${field}`)
  })

  test.each(cases)('$method with $entity.$field null rejects with INVALID_INPUT', async ({ entity, field }) => {
    await invalid(() => create[entity]({ ...valid[entity](), [field]: null }), `${entity}.${field}`)
  })

  test.each([
    ['getUserByAccount', 'account.provider', { providerAccountId: '1' }],
    ['getUserByAccount', 'account.providerAccountId', { provider: 'github' }],
    ['unlinkAccount', 'account.provider', { providerAccountId: '1' }],
    ['unlinkAccount', 'account.providerAccountId', { provider: 'github' }],
    ['updateUser', 'user.id', { name: 'no id' }],
    ['updateSession', 'session.sessionToken', { expires: new Date() }],
    ['useVerificationToken', 'verificationToken.identifier', { token: 't' }],
    ['useVerificationToken', 'verificationToken.token', { identifier: 'a@b.c' }],
  ])('%s without %s is rejected with INVALID_INPUT', async (method, field, input) => {
    await invalid(() => db[method](input), field)
  })
})

describe('a field of the wrong type', () => {
  // [entity, field, bad value name, bad value]
  const NOT_STRING_VALUES = NOT_STRINGS.filter(([name]) => name !== 'null' && name !== 'undefined')
  const stringFields = {
    user: ['id', 'name', 'email', 'image'],
    account: [
      'userId',
      'type',
      'provider',
      'providerAccountId',
      'access_token',
      'refresh_token',
      'token_type',
      'scope',
      'id_token',
      'session_state',
    ],
    session: ['sessionToken', 'userId'],
    verificationToken: ['identifier', 'token'],
    authenticator: [
      'credentialID',
      'userId',
      'providerAccountId',
      'credentialPublicKey',
      'credentialDeviceType',
      'transports',
    ],
  }
  const cases = Object.entries(stringFields).flatMap(([entity, fields]) =>
    fields.flatMap((field) =>
      NOT_STRING_VALUES.map(([name, value]) => ({ entity, field, name, value, method: CREATE_METHOD[entity] })),
    ),
  )

  test.each(cases)('$method rejects $entity.$field as $name with INVALID_INPUT', async ({ entity, field, value }) => {
    const error = await invalid(() => create[entity]({ ...valid[entity](), [field]: value }), `${entity}.${field}`)
    expect(error.message).toContain('must be a string')
  })

  test.each([
    ['name', 42],
    ['email', true],
    ['image', ['x']],
    ['emailVerified', true],
    ['emailVerified', { at: 1 }],
  ])('updateUser rejects user.%s = %p with INVALID_INPUT', async (field, value) => {
    await invalid(() => db.updateUser({ id: seeded.user.id, [field]: value }), `user.${field}`)
  })

  test.each([
    ['a string', 'soon'],
    ['a boolean', true],
    ['an object', {}],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('linkAccount rejects expires_at as %s with INVALID_INPUT', async (_, value) => {
    await invalid(() => db.linkAccount(accountFixture(seeded.user.id, { expires_at: value })), 'account.expires_at')
  })

  const BAD_COUNTERS = [
    ['a string', '5'],
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['null', null],
    ['a boolean', true],
    ['beyond the safe integers', 2 ** 53],
  ]

  test.each(BAD_COUNTERS)('createAuthenticator rejects counter as %s with INVALID_INPUT', async (_, value) => {
    await invalid(() => create.authenticator({ ...valid.authenticator(), counter: value }), 'authenticator.counter')
  })

  test.each(BAD_COUNTERS)('updateAuthenticatorCounter rejects newCounter as %s with INVALID_INPUT', async (_, value) => {
    await invalid(() => db.updateAuthenticatorCounter(seeded.authenticator.credentialID, value), 'newCounter')
  })

  test.each([
    ['a string', 'true'],
    ['a number', 1],
    ['null', null],
  ])('createAuthenticator rejects credentialBackedUp as %s with INVALID_INPUT', async (_, value) => {
    await invalid(
      () => create.authenticator({ ...valid.authenticator(), credentialBackedUp: value }),
      'authenticator.credentialBackedUp',
    )
  })

  test.each([
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a bigint', 10n],
  ])('createUser rejects an extra that is %s with INVALID_INPUT naming it', async (_, value) => {
    await invalid(() => db.createUser(userFixture({ favourite: value })), 'user.favourite')
  })

  test('createUser rejects a cyclic extra with INVALID_INPUT naming it', async () => {
    const cyclic = { name: 'loop' }
    cyclic.self = cyclic
    const error = await invalid(() => db.createUser(userFixture({ loop: cyclic })))
    expect(error.message).toMatch(/^INVALID_INPUT: user\.loop(\.self)+\.\w+ /)
    expect(error.message).toContain('refers to itself')
  })
})

describe('an invalid date', () => {
  const INVALID_DATES = [
    ['an invalid Date', new Date('x')],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ["'not a date'", 'not a date'],
    ["'2020-13-45'", '2020-13-45'],
    ['a date string without a zone', '2020-01-02T03:04:05'],
    ['a number beyond the Date range', 9e15],
    ['a boolean', true],
    ['an object', { $date: 1 }],
  ]
  const DATE_FIELDS = [
    ['createUser', 'user.emailVerified', (v) => [userFixture({ emailVerified: v })]],
    ['updateUser', 'user.emailVerified', (v) => [{ id: seeded.user.id, emailVerified: v }]],
    ['createSession', 'session.expires', (v) => [sessionFixture(seeded.user.id, { expires: v })]],
    ['updateSession', 'session.expires', (v) => [{ sessionToken: seeded.session.sessionToken, expires: v }]],
    ['createVerificationToken', 'verificationToken.expires', (v) => [verificationTokenFixture({ expires: v })]],
    ['createUser (a Date inside an extra)', 'user.birthday', (v) => [userFixture({ birthday: v })]],
  ]
  const cases = DATE_FIELDS.flatMap(([method, field, args]) =>
    INVALID_DATES.filter(([name]) => !(field === 'user.birthday' && name !== 'an invalid Date')).map(
      ([name, value]) => ({ method, field, name, args: () => args(value) }),
    ),
  )

  test.each(cases)('$method rejects $name as $field with INVALID_INPUT', async ({ method, field, args }) => {
    const call = method.startsWith('createUser') ? 'createUser' : method
    await invalid(() => db[call](...args()), field)
  })
})

describe('a string over 1 MiB', () => {
  test.each([
    ['user.name', () => db.createUser(userFixture({ name: TOO_LONG }))],
    ['user.email', () => db.createUser(userFixture({ email: TOO_LONG }))],
    ['user.id', () => db.createUser(userFixture({ id: TOO_LONG }))],
    ['user.bio', () => db.createUser(userFixture({ bio: TOO_LONG }))],
    ['user.profile.bio', () => db.createUser(userFixture({ profile: { bio: TOO_LONG } }))],
    ['user.name', () => db.updateUser({ id: seeded.user.id, name: TOO_LONG })],
    ['account.access_token', () => db.linkAccount(accountFixture(seeded.user.id, { access_token: TOO_LONG }))],
    ['account.custom_claim', () => db.linkAccount(accountFixture(seeded.user.id, { custom_claim: TOO_LONG }))],
    ['session.sessionToken', () => db.createSession(sessionFixture(seeded.user.id, { sessionToken: TOO_LONG }))],
    ['verificationToken.token', () => db.createVerificationToken(verificationTokenFixture({ token: TOO_LONG }))],
    ['authenticator.credentialPublicKey', () => create.authenticator({ ...valid.authenticator(), credentialPublicKey: TOO_LONG })],
    ['id', () => db.getUser(TOO_LONG)],
    ['email', () => db.getUserByEmail(TOO_LONG)],
  ])('%s longer than 1 MiB is rejected with INVALID_INPUT', async (field, call) => {
    await invalid(call, field)
  })

  test('the 1 MiB limit counts UTF-8 bytes, not characters', async () => {
    const wide = '€'.repeat(400_000) // 400 000 characters, 1 200 000 bytes
    await invalid(() => db.createUser(userFixture({ name: wide })), 'user.name')
  })

  test('a string of exactly 1 MiB is accepted and read back whole', async () => {
    const adapter = newAdapter()
    const name = 'y'.repeat(MiB)
    const user = await adapter.createUser(userFixture({ name }))
    expect((await adapter.getUser(user.id)).name).toBe(name)
  })

  test('extra properties over 4 MiB in total are rejected with INVALID_INPUT naming the user', async () => {
    const big = 'z'.repeat(MiB - 16)
    const user = userFixture({ a: big, b: big, c: big, d: big, e: big })
    const error = await expectRejection(() => db.createUser(user), 'INVALID_INPUT')
    // The message should start with the field path like every other INVALID_INPUT.
    expect(error.message).toMatch(/^INVALID_INPUT: user\b/)
  })
})

describe('strings around the 256-byte read buffer', () => {
  // Strings are read into a 256-byte buffer first and measured only when they may not fit;
  // N-API writes whole characters only, so multi-byte characters straddling the edge matter.
  const lengths = [250, 251, 252, 253, 254, 255, 256, 257, 300]
  const kinds = [
    ['ASCII', 'a'],
    ['2-byte', 'é'],
    ['3-byte', '€'],
    ['4-byte', '😀'],
  ]
  test.each(kinds.flatMap(([kind, unit]) => lengths.map((bytes) => [kind, unit, bytes])))(
    'a name of %s characters filling %i bytes round-trips whole',
    async (_kind, unit, bytes) => {
      const units = Math.floor(bytes / Buffer.byteLength(unit))
      const name = unit.repeat(units) + 'z'.repeat(bytes - units * Buffer.byteLength(unit))
      expect(Buffer.byteLength(name)).toBe(bytes)
      const user = await db.createUser(userFixture({ name }))
      expect((await db.getUser(user.id)).name).toBe(name)
    },
  )

  test('an ISO date string of 100 characters is rejected naming the field', async () => {
    await invalid(() => db.createUser(userFixture({ emailVerified: `2024-01-01T00:00:00${'0'.repeat(80)}Z` })), 'user.emailVerified')
  })
})

describe('__proto__ keys', () => {
  test('createUser rejects an own __proto__ property (from JSON.parse) with INVALID_INPUT', async () => {
    const input = JSON.parse(`{"id": "${randomUUID()}", "email": "proto@example.com", "__proto__": {"x": 1}}`)
    expect(Object.keys(input)).toContain('__proto__')
    await invalid(() => db.createUser(input), 'user.__proto__')
  })

  test('createUser rejects a nested __proto__ key in an extra with INVALID_INPUT naming its path', async () => {
    const role = JSON.parse('{"nested": {"__proto__": {"x": 1}}}')
    await invalid(() => db.createUser(userFixture({ role })), 'user.role.nested.__proto__')
  })

  test('createUser rejects __proto__ inside an array in an extra', async () => {
    const tags = [JSON.parse('{"__proto__": {"admin": true}}')]
    await invalid(() => db.createUser(userFixture({ tags })), 'user.tags[0].__proto__')
  })

  test('updateUser rejects an own __proto__ property with INVALID_INPUT', async () => {
    const input = JSON.parse(`{"id": ${JSON.stringify(seeded.user.id)}, "__proto__": {"x": 1}}`)
    await invalid(() => db.updateUser(input), 'user.__proto__')
  })

  test('linkAccount rejects an own __proto__ property with INVALID_INPUT', async () => {
    const input = Object.assign(JSON.parse('{"__proto__": {"x": 1}}'), accountFixture(seeded.user.id))
    expect(Object.keys(input)).toContain('__proto__')
    await invalid(() => db.linkAccount(input), 'account.__proto__')
  })

  test('a rejected __proto__ user is not stored', async () => {
    const id = randomUUID()
    const input = JSON.parse(`{"id": "${id}", "__proto__": {"x": 1}}`)
    await db.createUser(input).catch(() => {})
    expect(await db.getUser(id)).toBeNull()
  })
})

describe('nothing is half-written after a failed write', () => {
  test('createUser with a bad extra leaves no user row', async () => {
    const user = userFixture({ callback: () => 'nope' })
    await invalid(() => db.createUser(user), 'user.callback')
    expect(await db.getUser(user.id)).toBeNull()
    expect(await db.getUserByEmail(user.email)).toBeNull()
  })

  test('createUser with oversized extras leaves no user row', async () => {
    const big = 'z'.repeat(MiB - 16)
    const user = userFixture({ a: big, b: big, c: big, d: big, e: big })
    await db.createUser(user).catch(() => {})
    expect(await db.getUser(user.id)).toBeNull()
    expect(await db.getUserByEmail(user.email)).toBeNull()
  })

  test('linkAccount with a bad field leaves no account', async () => {
    const account = accountFixture(seeded.user.id, { expires_at: 'tomorrow' })
    await invalid(() => db.linkAccount(account), 'account.expires_at')
    expect(await db.getAccount(account.providerAccountId, account.provider)).toBeNull()
    expect(await db.getUserByAccount(account)).toBeNull()
  })

  test('linkAccount with a bad extra leaves no account', async () => {
    const account = accountFixture(seeded.user.id, { claims: { at: new Date('x') } })
    await invalid(() => db.linkAccount(account), 'account.claims.at')
    expect(await db.getAccount(account.providerAccountId, account.provider)).toBeNull()
  })

  test('updateUser with one bad field changes none of the others', async () => {
    const user = await db.createUser(userFixture({ role: 'reader' }))
    await invalid(() => db.updateUser({ id: user.id, name: 'Changed', role: 'admin', email: 42 }), 'user.email')
    expect(await db.getUser(user.id)).toEqual(user)
  })

  test('updateUser that would push extras over 4 MiB leaves the user unchanged', async () => {
    const adapter = newAdapter()
    const big = 'z'.repeat(MiB - 16)
    const user = await adapter.createUser(userFixture({ a: big, b: big, c: big }))
    await expectRejection(() => adapter.updateUser({ id: user.id, name: 'Changed', d: big, e: big }), 'INVALID_INPUT')
    const after = await adapter.getUser(user.id)
    expect(after.name).toBe(user.name)
    expect(after).not.toHaveProperty('d')
  })

  test('createSession with an invalid expires leaves no session', async () => {
    const session = sessionFixture(seeded.user.id, { expires: 'never' })
    await invalid(() => db.createSession(session), 'session.expires')
    expect(await db.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('updateSession with an invalid expires leaves the session as it was', async () => {
    const session = await db.createSession(sessionFixture(seeded.user.id))
    await invalid(() => db.updateSession({ sessionToken: session.sessionToken, expires: NaN }), 'session.expires')
    const found = await db.getSessionAndUser(session.sessionToken)
    expect(found.session.expires.getTime()).toBe(session.expires.getTime())
  })

  test('createAuthenticator with a negative counter leaves no authenticator', async () => {
    const authenticator = { ...valid.authenticator(), counter: -5 }
    await invalid(() => db.createAuthenticator(authenticator), 'authenticator.counter')
    expect(await db.getAuthenticator(authenticator.credentialID)).toBeNull()
  })

  test('updateAuthenticatorCounter with a bad counter leaves the counter as it was', async () => {
    const authenticator = await db.createAuthenticator({ ...valid.authenticator(), counter: 3 })
    await invalid(() => db.updateAuthenticatorCounter(authenticator.credentialID, 2.5), 'newCounter')
    expect((await db.getAuthenticator(authenticator.credentialID)).counter).toBe(3)
  })

  test('createVerificationToken with an invalid expires leaves no token', async () => {
    const token = verificationTokenFixture({ expires: new Date('x') })
    await invalid(() => db.createVerificationToken(token), 'verificationToken.expires')
    expect(await db.useVerificationToken(token)).toBeNull()
  })
})

describe('SQL metacharacters and unusual text are stored verbatim', () => {
  const VALUES = [
    ['a DROP TABLE injection', "'; DROP TABLE users; --"],
    ['a closing-paren injection', "x'); DELETE FROM sessions; --"],
    ['single, double and back quotes', `it's "quoted" \`back\``],
    ['a NUL inside the string', 'before\u0000after'],
    ['emoji and combining characters', '🦀 👩‍👩‍👧 é e\u0301 中文'],
    ['LIKE wildcards and backslashes', '%_\\%\\_*?'],
  ]
  const NUL = 'before\u0000after'
  /** PostgreSQL's text cannot hold U+0000, so there it is refused instead (tested below). */
  const STORABLE = onPostgres ? VALUES.filter(([, text]) => text !== NUL) : VALUES

  test.each(STORABLE)('a user whose fields are %s reads back unchanged', async (_, text) => {
    const adapter = newAdapter()
    const user = { id: text, name: text, email: text, image: text, emailVerified: null, [text]: text }
    expect(await adapter.createUser(user)).toEqual(user)
    expect(await adapter.getUser(text)).toEqual(user)
    expect(await adapter.getUserByEmail(text)).toEqual(user)
  })

  test.each(STORABLE)('getUserByEmail matches %s exactly, not as a pattern or prefix', async (_, text) => {
    const adapter = newAdapter()
    await adapter.createUser({ email: text })
    expect(await adapter.getUserByEmail(text.slice(0, Math.max(1, text.length - 3)))).toBeNull()
    expect(await adapter.getUserByEmail('%')).toBeNull()
  })

  test.each(STORABLE)('an account keyed by %s reads back unchanged', async (_, text) => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = accountFixture(user.id, { provider: text, providerAccountId: text, access_token: text, [text]: text })
    expect(await adapter.linkAccount(account)).toEqual(account)
    expect(await adapter.getAccount(text, text)).toEqual(account)
    expect((await adapter.getUserByAccount({ provider: text, providerAccountId: text })).id).toBe(user.id)
  })

  test.each(VALUES)('a session token that is %s finds its session', async (_, text) => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.createSession(sessionFixture(user.id, { sessionToken: text }))
    const found = await adapter.getSessionAndUser(text)
    expect(found.session.sessionToken).toBe(text)
    expect(found.user.id).toBe(user.id)
  })

  test.each(STORABLE)('a verification token whose identifier and token are %s is used once', async (_, text) => {
    const adapter = newAdapter()
    const token = verificationTokenFixture({ identifier: text, token: text })
    await adapter.createVerificationToken(token)
    const used = await adapter.useVerificationToken({ identifier: text, token: text })
    expect([used.identifier, used.token]).toEqual([text, text])
    expect(await adapter.useVerificationToken({ identifier: text, token: text })).toBeNull()
  })

  test.each(STORABLE)('an authenticator whose strings are %s reads back unchanged', async (_, text) => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const authenticator = authenticatorFixture(user.id, text, {
      credentialID: text,
      credentialPublicKey: text,
      credentialDeviceType: text,
      transports: text,
    })
    await adapter.createAuthenticator(authenticator)
    expect(await adapter.getAuthenticator(text)).toEqual(authenticator)
  })

  postgresTest('on PostgreSQL, a NUL character is refused in each written text, naming the field', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await invalid(() => adapter.createUser(userFixture({ name: NUL })), 'user.name')
    await invalid(() => adapter.createUser(userFixture({ nickname: { first: NUL } })), 'user.nickname')
    await invalid(() => adapter.updateUser({ id: user.id, image: NUL }), 'user.image')
    await invalid(() => adapter.linkAccount(accountFixture(user.id, { providerAccountId: NUL })), 'account.providerAccountId')
    await invalid(() => adapter.linkAccount(accountFixture(user.id, { access_token: NUL })), 'account.access_token')
    await invalid(() => adapter.createVerificationToken(verificationTokenFixture({ token: NUL })), 'verificationToken.token')
    await invalid(
      () => adapter.createAuthenticator(authenticatorFixture(user.id, 'pa', { credentialID: NUL })),
      'authenticator.credentialID',
    )
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  postgresTest('on PostgreSQL, a lookup by a key with a NUL character finds nothing', async () => {
    const adapter = newAdapter()
    expect(await adapter.getUser(NUL)).toBeNull()
    expect(await adapter.getUserByEmail(NUL)).toBeNull()
    expect(await adapter.getUserByAccount({ provider: NUL, providerAccountId: NUL })).toBeNull()
    expect(await adapter.getAccount(NUL, NUL)).toBeNull()
    expect(await adapter.useVerificationToken({ identifier: NUL, token: NUL })).toBeNull()
    expect(await adapter.getAuthenticator(NUL)).toBeNull()
    expect(await adapter.listAuthenticatorsByUserId(NUL)).toEqual([])
    await expectRejection(() => adapter.updateUser({ id: NUL, name: 'x' }), 'NOT_FOUND')
  })

  sqliteTest.each(VALUES)('after storing %s in every table, all tables are still there and hold the exact bytes', async (_, text) => {
    const filename = tempFile()
    const adapter = RustAdapter({ filename })
    const user = await adapter.createUser({ id: text, name: text, email: text })
    await adapter.linkAccount(accountFixture(user.id, { provider: text, providerAccountId: text }))
    await adapter.createSession(sessionFixture(user.id, { sessionToken: text }))
    await adapter.createVerificationToken(verificationTokenFixture({ identifier: text, token: text }))
    await adapter.createAuthenticator(authenticatorFixture(user.id, text, { credentialID: text }))
    await adapter.close()

    const file = await inspect(filename)
    try {
      const tables = file.all("SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => r.name)
      expect(tables).toEqual(expect.arrayContaining(['users', 'accounts', 'sessions', 'verification_tokens', 'authenticators']))
      const hex = Buffer.from(text, 'utf8').toString('hex').toUpperCase()
      expect(file.get('SELECT hex(id) AS id, hex(name) AS name, hex(email) AS email FROM users')).toEqual({ id: hex, name: hex, email: hex })
      expect(file.get('SELECT hex(provider_account_id) AS pa FROM accounts').pa).toBe(hex)
      expect(file.get('SELECT hex(identifier) AS i, hex(token) AS t FROM verification_tokens')).toEqual({ i: hex, t: hex })
      expect(file.get('SELECT hex(credential_id) AS c FROM authenticators').c).toBe(hex)
      expect(file.get('SELECT count(*) AS n FROM sessions').n).toBe(1)
    } finally {
      file.close()
    }
    expect(fs.readdirSync(path.dirname(filename))).toEqual([path.basename(filename)])
  })
})

describe('after all of the bad input above', () => {
  test('the shared adapter still creates and reads a user', async () => {
    const user = await db.createUser(userFixture())
    expect(await db.getUser(user.id)).toEqual(user)
  })

  test('the seeded rows are untouched', async () => {
    expect(await db.getUser(seeded.user.id)).toEqual(seeded.user)
    expect(await db.getAccount(seeded.account.providerAccountId, seeded.account.provider)).toEqual(seeded.account)
    expect((await db.getSessionAndUser(seeded.session.sessionToken)).user.id).toBe(seeded.user.id)
    expect(await db.getAuthenticator(seeded.authenticator.credentialID)).toEqual(seeded.authenticator)
  })

  test('the shared adapter still closes cleanly', async () => {
    await expect(db.close()).resolves.toBeUndefined()
  })
})
