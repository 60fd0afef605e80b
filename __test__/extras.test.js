'use strict'
// Properties beyond the known Auth.js fields (custom user models, provider token fields) are
// stored and come back with their JavaScript type.
const { newAdapter, onPostgres, userFixture, accountFixture, sessionFixture } = require('./helpers')

const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'

/** Creates a user with `extras` and reads it back by id. */
async function roundTrip(extras) {
  const adapter = newAdapter()
  const user = userFixture(extras)
  await adapter.createUser(user)
  return { adapter, user, stored: await adapter.getUser(user.id) }
}

describe('user extras', () => {
  test('a custom role field round-trips', async () => {
    const { user, stored } = await roundTrip({ role: 'admin' })
    expect(stored).toEqual(user)
    expect(stored.role).toBe('admin')
  })

  test('several custom fields round-trip together', async () => {
    const { user, stored } = await roundTrip({ role: 'admin', phone: '+1 555 0100', plan: 'pro' })
    expect(stored).toEqual(user)
  })

  test('createUser returns the extras it stored', async () => {
    const adapter = newAdapter()
    const user = userFixture({ role: 'editor', phone: '+44 20 7946 0000' })
    expect(await adapter.createUser(user)).toEqual(user)
  })

  test.each([
    ['a string', 'hello'],
    ['an empty string', ''],
    ['an integer', 42],
    ['zero', 0],
    ['a negative fraction', -1.5],
    ['a large integer', Number.MAX_SAFE_INTEGER],
    ['a tiny float', 5e-324],
    ['an awkward float', 0.1 + 0.2],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('an extra holding %s round-trips with its type', async (_, value) => {
    const { stored } = await roundTrip({ extra: value })
    expect(stored).toHaveProperty('extra')
    expect(stored.extra).toBe(value)
  })

  test('an extra holding NaN comes back as NaN', async () => {
    const { stored } = await roundTrip({ extra: NaN })
    expect(typeof stored.extra).toBe('number')
    expect(Number.isNaN(stored.extra)).toBe(true)
  })

  test('an extra holding -0 comes back as the number zero', async () => {
    const { stored } = await roundTrip({ extra: -0 })
    expect(typeof stored.extra).toBe('number')
    expect(stored.extra === 0).toBe(true)
  })

  test('an extra holding a Date comes back as a Date with its milliseconds', async () => {
    const when = new Date('2029-09-09T09:09:09.999Z')
    const { stored } = await roundTrip({ lastLogin: when })
    expect(isDate(stored.lastLogin)).toBe(true)
    expect(stored.lastLogin.getTime()).toBe(when.getTime())
  })

  test('an extra holding an ISO date string stays a string', async () => {
    const { stored } = await roundTrip({ birthday: '2000-01-01T00:00:00.000Z' })
    expect(stored.birthday).toBe('2000-01-01T00:00:00.000Z')
  })

  test('nested arrays and objects round-trip', async () => {
    const nested = { a: [1, 'two', [3, [4]], { five: 5 }], b: { c: { d: [] } }, e: {}, f: [null, true] }
    const { stored } = await roundTrip({ nested })
    expect(stored.nested).toEqual(nested)
  })

  test('Dates inside nested arrays and objects come back as Dates', async () => {
    const d1 = new Date(1)
    const d2 = new Date('2030-06-15T12:00:00.123Z')
    const { stored } = await roundTrip({ history: [{ at: d1, tags: ['x'] }, [d2]] })
    expect(stored.history).toEqual([{ at: d1, tags: ['x'] }, [d2]])
    expect(isDate(stored.history[0].at)).toBe(true)
    expect(isDate(stored.history[1][0])).toBe(true)
    expect(stored.history[1][0].getTime()).toBe(d2.getTime())
  })

  test('objects whose keys start with $ stay plain objects', async () => {
    const value = { $date: 3, $type: 'date', $: '', nested: { $date: '2020-01-01T00:00:00Z' } }
    const { stored } = await roundTrip({ meta: value })
    expect(stored.meta).toEqual(value)
    expect(isDate(stored.meta)).toBe(false)
    expect(isDate(stored.meta.nested)).toBe(false)
  })

  test('an extra set to undefined is dropped', async () => {
    const { stored } = await roundTrip({ role: 'admin', nickname: undefined })
    expect(stored.role).toBe('admin')
    expect(Object.keys(stored)).not.toContain('nickname')
  })

  test('undefined values inside nested objects are dropped', async () => {
    const { stored } = await roundTrip({ prefs: { theme: 'dark', font: undefined } })
    expect(stored.prefs).toEqual({ theme: 'dark' })
    expect(Object.keys(stored.prefs)).toEqual(['theme'])
  })

  test('unicode, emoji and quotes in extras round-trip', async () => {
    const value = { "it's": 'naïve "quoted" 🎉', '日本': 'e\u0301 中文', '; DROP TABLE users; --': 1 }
    const { stored } = await roundTrip({ weird: value })
    expect(stored.weird).toEqual(value)
  })

  test(`a NUL character in an extra ${onPostgres ? 'is refused, naming the property (PostgreSQL cannot store it)' : 'round-trips'}`, async () => {
    const value = { '日本': '\u0000after-nul' }
    if (onPostgres) {
      const adapter = newAdapter()
      await expect(adapter.createUser(userFixture({ weird: value }))).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/^INVALID_INPUT: user\.weird /),
      })
    } else {
      const { stored } = await roundTrip({ weird: value })
      expect(stored.weird).toEqual(value)
    }
  })

  test('a key named constructor is stored as data', async () => {
    const user = JSON.parse('{"id":"ctor-user","constructor":{"name":"data"}}')
    const adapter = newAdapter()
    await adapter.createUser(user)
    const stored = await adapter.getUser('ctor-user')
    expect(Object.prototype.hasOwnProperty.call(stored, 'constructor')).toBe(true)
    expect(stored.constructor).toEqual({ name: 'data' })
  })
})

describe('extras on update', () => {
  test('updateUser merges new extras into existing ones', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'user', phone: '123' }))
    const updated = await adapter.updateUser({ id: user.id, role: 'admin', plan: 'pro' })
    expect(updated).toEqual({ ...user, role: 'admin', phone: '123', plan: 'pro' })
    expect(await adapter.getUser(user.id)).toEqual(updated)
  })

  test('updateUser without extras keeps the existing extras', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin' }))
    await adapter.updateUser({ id: user.id, name: 'Renamed' })
    expect((await adapter.getUser(user.id)).role).toBe('admin')
  })

  test('updateUser with an extra set to null stores null', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin' }))
    await adapter.updateUser({ id: user.id, role: null })
    const stored = await adapter.getUser(user.id)
    expect(stored).toHaveProperty('role', null)
  })

  test('updateUser can add extras to a user that had none', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.updateUser({ id: user.id, settings: { lang: 'de', since: new Date(5) } })
    expect(await adapter.getUser(user.id)).toEqual({ ...user, settings: { lang: 'de', since: new Date(5) } })
  })
})

describe('extras through other readers', () => {
  test('user extras come back through getUserByEmail', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin', phone: '555' }))
    expect(await adapter.getUserByEmail(user.email)).toEqual(user)
  })

  test('user extras come back through getUserByAccount', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin', phone: '555' }))
    const account = await adapter.linkAccount(accountFixture(user.id))
    expect(
      await adapter.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId }),
    ).toEqual(user)
  })

  test('user extras come back through getSessionAndUser', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin', phone: '555' }))
    const session = await adapter.createSession(sessionFixture(user.id))
    expect((await adapter.getSessionAndUser(session.sessionToken)).user).toEqual(user)
  })

  test('user extras come back through deleteUser', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin' }))
    expect(await adapter.deleteUser(user.id)).toEqual(user)
  })

  test('account extras of every kind round-trip through getAccount and unlinkAccount', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = accountFixture(user.id, {
      refresh_token_expires_in: 60,
      obtained: new Date(1234),
      claims: { groups: ['a', 'b'], $ref: 1 },
      flag: false,
    })
    await adapter.linkAccount(account)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    expect(
      await adapter.unlinkAccount({ provider: account.provider, providerAccountId: account.providerAccountId }),
    ).toEqual(account)
  })
})

describe('what counts as an extra', () => {
  test('linkAccount returns the stored account: its extras, and no key for an optional field not given', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = { userId: user.id, type: 'oidc', provider: 'acme', providerAccountId: 'a-1', expires_at: 1700000000, tenant: 'eu' }
    expect(await adapter.linkAccount(account)).toStrictEqual(account)
  })

  test('a user given as a class instance: getters are read, own properties beyond the known ones are extras', async () => {
    class Profile {
      constructor(email) {
        this.role = 'admin'
        this.secretEmail = email
      }
      get email() {
        return this.secretEmail
      }
    }
    const adapter = newAdapter()
    const created = await adapter.createUser(new Profile('getter@example.com'))
    expect(created).toMatchObject({ email: 'getter@example.com', role: 'admin', secretEmail: 'getter@example.com' })
    expect(await adapter.getUser(created.id)).toEqual(created)
  })

  test('an enumerable property inherited from a prototype is not stored as an extra', async () => {
    const adapter = newAdapter()
    const user = Object.assign(Object.create({ plan: 'inherited' }), userFixture({ role: 'editor' }))
    const created = await adapter.createUser(user)
    expect(created.role).toBe('editor')
    expect('plan' in created).toBe(false)
    expect('plan' in (await adapter.getUser(created.id))).toBe(false)
  })

  test('an account given with only the known properties comes back with no extras', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = accountFixture(user.id)
    await adapter.linkAccount(account)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toStrictEqual(account)
  })
})

describe('extras that cannot be stored', () => {
  test.each([
    ['a function', { callback: () => 1 }, 'user.callback'],
    ['a symbol', { tag: Symbol('x') }, 'user.tag'],
    ['a bigint', { big: 10n }, 'user.big'],
    ['a function inside an object', { prefs: { onChange() {} } }, 'user.prefs.onChange'],
    ['a symbol inside an array', { list: [1, 2, Symbol('x')] }, 'user.list[2]'],
    ['a bigint deep inside', { a: { b: [{ c: 1n }] } }, 'user.a.b[0].c'],
  ])('createUser with %s rejects with INVALID_INPUT naming the path', async (_, extras, path) => {
    const adapter = newAdapter()
    const user = userFixture(extras)
    const error = await adapter.createUser(user).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message.startsWith(`INVALID_INPUT: ${path} `)).toBe(true)
    expect(await adapter.getUser(user.id)).toBeNull()
  })

  test('updateUser with a function extra rejects with INVALID_INPUT and changes nothing', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture({ role: 'admin' }))
    const error = await adapter.updateUser({ id: user.id, name: 'x', role: () => 'root' }).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message.startsWith('INVALID_INPUT: user.role ')).toBe(true)
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('linkAccount with a bigint extra rejects with INVALID_INPUT naming the path', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const error = await adapter.linkAccount(accountFixture(user.id, { big: 1n })).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message.startsWith('INVALID_INPUT: account.big ')).toBe(true)
  })

  test('a __proto__ key from JSON.parse at the top level is rejected', async () => {
    const adapter = newAdapter()
    const user = JSON.parse('{"id":"proto-top","__proto__":{"isAdmin":true}}')
    const error = await adapter.createUser(user).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: user\.__proto__ /)
    expect(await adapter.getUser('proto-top')).toBeNull()
  })

  test('a nested __proto__ key from JSON.parse is rejected naming its path', async () => {
    const adapter = newAdapter()
    const user = JSON.parse('{"id":"proto-nested","role":{"nested":{"__proto__":{"isAdmin":true}}}}')
    const error = await adapter.createUser(user).catch((e) => e)
    expect(error).toMatchObject({ code: 'INVALID_INPUT' })
    expect(error.message).toMatch(/^INVALID_INPUT: user\.role\.nested\.__proto__ is not allowed/)
  })
})
