'use strict'
const { newAdapter, userFixture, accountFixture, sessionFixture, authenticatorFixture } = require('./helpers')

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'

describe('createUser', () => {
  test('createUser stores the user under the given id', async () => {
    const adapter = newAdapter()
    const user = userFixture({ id: 'my-own-id' })
    await adapter.createUser(user)
    expect(await adapter.getUser('my-own-id')).toEqual(user)
  })

  test('createUser returns the stored user', async () => {
    const adapter = newAdapter()
    const user = userFixture()
    expect(await adapter.createUser(user)).toEqual(user)
  })

  test('createUser generates a UUID when no id is given', async () => {
    const adapter = newAdapter()
    const { id, ...withoutId } = userFixture()
    const created = await adapter.createUser(withoutId)
    expect(created.id).toMatch(UUID)
    expect(created).toEqual({ ...withoutId, id: created.id })
    expect(await adapter.getUser(created.id)).toEqual(created)
  })

  test('createUser generates a UUID when id is null', async () => {
    const adapter = newAdapter()
    const created = await adapter.createUser(userFixture({ id: null }))
    expect(created.id).toMatch(UUID)
  })

  test('createUser generates a different id for each user', async () => {
    const adapter = newAdapter()
    const a = await adapter.createUser({ email: 'a@example.com' })
    const b = await adapter.createUser({ email: 'b@example.com' })
    expect(a.id).not.toBe(b.id)
  })

  test('createUser keeps the milliseconds of emailVerified', async () => {
    const adapter = newAdapter()
    const user = userFixture({ emailVerified: new Date('2024-05-06T07:08:09.123Z') })
    await adapter.createUser(user)
    const stored = await adapter.getUser(user.id)
    expect(isDate(stored.emailVerified)).toBe(true)
    expect(stored.emailVerified.getTime()).toBe(Date.UTC(2024, 4, 6, 7, 8, 9, 123))
  })

  test('createUser stores a null emailVerified as null', async () => {
    const adapter = newAdapter()
    const user = userFixture({ emailVerified: null })
    await adapter.createUser(user)
    expect((await adapter.getUser(user.id)).emailVerified).toBeNull()
  })

  test('createUser without emailVerified returns emailVerified null', async () => {
    const adapter = newAdapter()
    const { emailVerified, ...user } = userFixture()
    const created = await adapter.createUser(user)
    expect(created).toEqual({ ...user, emailVerified: null })
  })

  test('createUser accepts a user without an email, which reads back as email null', async () => {
    const adapter = newAdapter()
    const created = await adapter.createUser({ id: 'no-email', name: 'Anonymous' })
    const expected = { id: 'no-email', name: 'Anonymous', email: null, emailVerified: null, image: null }
    expect(created).toStrictEqual(expected)
    expect(await adapter.getUser('no-email')).toStrictEqual(expected)
  })

  test('createUser returns null name and image as present keys, as the SQL peers do', async () => {
    const adapter = newAdapter()
    const created = await adapter.createUser({ id: 'bare', email: 'bare@example.com', name: null, image: null })
    expect(created).toStrictEqual({ id: 'bare', email: 'bare@example.com', emailVerified: null, name: null, image: null })
    expect(Object.keys(created).sort()).toEqual(['email', 'emailVerified', 'id', 'image', 'name'])
  })

  test('every read of a user returns its empty fields as null', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser({ id: 'emailed', email: 'emailed@example.com', emailVerified: null })
    await adapter.linkAccount({ userId: user.id, type: 'oauth', provider: 'p', providerAccountId: 'emailed' })
    await adapter.createSession({ sessionToken: 'emailed-session', userId: user.id, expires: new Date(Date.now() + 60_000) })
    const expected = { id: 'emailed', email: 'emailed@example.com', emailVerified: null, name: null, image: null }
    expect(await adapter.getUser(user.id)).toStrictEqual(expected)
    expect(await adapter.getUserByEmail('emailed@example.com')).toStrictEqual(expected)
    expect(await adapter.getUserByAccount({ provider: 'p', providerAccountId: 'emailed' })).toStrictEqual(expected)
    expect((await adapter.getSessionAndUser('emailed-session')).user).toStrictEqual(expected)
    expect(await adapter.updateUser({ id: user.id })).toStrictEqual(expected)
    expect(await adapter.deleteUser(user.id)).toStrictEqual(expected)
  })

  test('an extra set to null stays null, and one never set stays absent', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser({ id: 'extras', email: 'extras@example.com', role: null })
    const read = await adapter.getUser(user.id)
    expect(read.role).toBeNull()
    expect('role' in read).toBe(true)
    expect('plan' in read).toBe(false)
  })

  test('createUser allows many users without an email', async () => {
    const adapter = newAdapter()
    const created = []
    for (let i = 0; i < 5; i++) created.push(await adapter.createUser({ name: `anon ${i}` }))
    for (const user of created) expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('createUser rejects a duplicate email with UNIQUE_VIOLATION naming user.email', async () => {
    const adapter = newAdapter()
    const first = await adapter.createUser(userFixture())
    const error = await adapter.createUser(userFixture({ email: first.email })).catch((e) => e)
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: user\.email/)
  })

  test('createUser rejects a duplicate id with UNIQUE_VIOLATION naming user.id', async () => {
    const adapter = newAdapter()
    const first = await adapter.createUser(userFixture())
    const error = await adapter.createUser(userFixture({ id: first.id })).catch((e) => e)
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: user\.id/)
  })

  test('a rejected duplicate leaves the first user unchanged', async () => {
    const adapter = newAdapter()
    const first = await adapter.createUser(userFixture())
    await expect(adapter.createUser(userFixture({ email: first.email, name: 'Impostor' }))).rejects.toMatchObject({
      code: 'UNIQUE_VIOLATION',
    })
    expect(await adapter.getUserByEmail(first.email)).toEqual(first)
  })
})

describe('getUser / getUserByEmail', () => {
  test('getUser returns the user for a known id', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    expect(await adapter.getUser(user.id)).toEqual(user)
  })

  test('getUser returns null for an unknown id', async () => {
    const adapter = newAdapter()
    await adapter.createUser(userFixture())
    expect(await adapter.getUser('unknown-id')).toBeNull()
  })

  test('getUserByEmail returns the user for a known email', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    expect(await adapter.getUserByEmail(user.email)).toEqual(user)
  })

  test('getUserByEmail returns null for an unknown email', async () => {
    const adapter = newAdapter()
    await adapter.createUser(userFixture())
    expect(await adapter.getUserByEmail('nobody@example.com')).toBeNull()
  })

  test('getUserByEmail returns the right user among several', async () => {
    const adapter = newAdapter()
    const users = []
    for (let i = 0; i < 3; i++) users.push(await adapter.createUser(userFixture()))
    expect(await adapter.getUserByEmail(users[1].email)).toEqual(users[1])
  })
})

describe('getUserByAccount', () => {
  test('getUserByAccount returns the user who linked the account', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(user.id))
    expect(
      await adapter.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId }),
    ).toEqual(user)
  })

  test('getUserByAccount returns null for an unknown account', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(user.id))
    expect(await adapter.getUserByAccount({ provider: account.provider, providerAccountId: 'other' })).toBeNull()
    expect(
      await adapter.getUserByAccount({ provider: 'other', providerAccountId: account.providerAccountId }),
    ).toBeNull()
  })
})

describe('updateUser', () => {
  test('updateUser with only a name changes the name and keeps every other field', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.updateUser({ id: user.id, name: 'Bill Murray' })
    expect(await adapter.getUser(user.id)).toEqual({ ...user, name: 'Bill Murray' })
  })

  test('updateUser returns the whole updated user', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    expect(await adapter.updateUser({ id: user.id, image: 'https://example.com/new.png' })).toEqual({
      ...user,
      image: 'https://example.com/new.png',
    })
  })

  test('updateUser with a field set to null clears it, and it reads back as null', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const updated = await adapter.updateUser({ id: user.id, image: null })
    expect(updated).toStrictEqual({ ...user, image: null })
    expect(await adapter.getUser(user.id)).toStrictEqual({ ...user, image: null })
  })

  test('updateUser with emailVerified null makes emailVerified null', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    expect(await adapter.updateUser({ id: user.id, emailVerified: null })).toEqual({ ...user, emailVerified: null })
  })

  test('updateUser with email null clears the email', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.updateUser({ id: user.id, email: null })
    expect(await adapter.getUserByEmail(user.email)).toBeNull()
    expect((await adapter.getUser(user.id)).email).toBeNull()
  })

  test('updateUser accepts emailVerified as an ISO-8601 string', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const updated = await adapter.updateUser({ id: user.id, emailVerified: '2030-01-02T03:04:05.678Z' })
    expect(isDate(updated.emailVerified)).toBe(true)
    expect(updated.emailVerified.getTime()).toBe(Date.UTC(2030, 0, 2, 3, 4, 5, 678))
  })

  test('updateUser accepts emailVerified as an ISO-8601 string with an offset', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const updated = await adapter.updateUser({ id: user.id, emailVerified: '2030-01-02T05:04:05.678+02:00' })
    expect(updated.emailVerified.getTime()).toBe(Date.UTC(2030, 0, 2, 3, 4, 5, 678))
  })

  test('updateUser accepts emailVerified as epoch milliseconds', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const updated = await adapter.updateUser({ id: user.id, emailVerified: 1700000000123 })
    expect(isDate(updated.emailVerified)).toBe(true)
    expect(updated.emailVerified.getTime()).toBe(1700000000123)
    expect((await adapter.getUser(user.id)).emailVerified.getTime()).toBe(1700000000123)
  })

  test('updateUser rejects an unknown id with NOT_FOUND naming user.id', async () => {
    const adapter = newAdapter()
    const error = await adapter.updateUser({ id: 'missing', name: 'x' }).catch((e) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect(error.message).toMatch(/^NOT_FOUND: user\.id/)
  })

  test('updateUser does not create a user for an unknown id', async () => {
    const adapter = newAdapter()
    await expect(adapter.updateUser({ id: 'missing', email: 'ghost@example.com' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(await adapter.getUser('missing')).toBeNull()
    expect(await adapter.getUserByEmail('ghost@example.com')).toBeNull()
  })

  test('updateUser to an email another user has rejects with UNIQUE_VIOLATION naming user.email', async () => {
    const adapter = newAdapter()
    const a = await adapter.createUser(userFixture())
    const b = await adapter.createUser(userFixture())
    const error = await adapter.updateUser({ id: b.id, email: a.email }).catch((e) => e)
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: user\.email/)
    expect(await adapter.getUser(b.id)).toEqual(b)
  })

  test('updateUser can change the email to a free one', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.updateUser({ id: user.id, email: 'new@example.com' })
    expect(await adapter.getUserByEmail('new@example.com')).toEqual({ ...user, email: 'new@example.com' })
    expect(await adapter.getUserByEmail(user.email)).toBeNull()
  })
})

describe('deleteUser', () => {
  test('deleteUser returns the deleted user', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    expect(await adapter.deleteUser(user.id)).toEqual(user)
  })

  test('deleteUser removes the user', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.deleteUser(user.id)
    expect(await adapter.getUser(user.id)).toBeNull()
    expect(await adapter.getUserByEmail(user.email)).toBeNull()
  })

  test('deleteUser returns null for an unknown id', async () => {
    const adapter = newAdapter()
    expect(await adapter.deleteUser('missing')).toBeNull()
  })

  test('deleteUser removes the user’s accounts', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(user.id))
    await adapter.deleteUser(user.id)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toBeNull()
    expect(
      await adapter.getUserByAccount({ provider: account.provider, providerAccountId: account.providerAccountId }),
    ).toBeNull()
  })

  test('deleteUser removes the user’s sessions', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const session = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteUser(user.id)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('deleteUser removes the user’s authenticators', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(user.id, { provider: 'webauthn', type: 'webauthn' }))
    const authenticator = await adapter.createAuthenticator(authenticatorFixture(user.id, account.providerAccountId))
    await adapter.deleteUser(user.id)
    expect(await adapter.getAuthenticator(authenticator.credentialID)).toBeNull()
    expect(await adapter.listAuthenticatorsByUserId(user.id)).toEqual([])
  })

  test('deleteUser leaves other users and their rows alone', async () => {
    const adapter = newAdapter()
    const doomed = await adapter.createUser(userFixture())
    const kept = await adapter.createUser(userFixture())
    const account = await adapter.linkAccount(accountFixture(kept.id))
    const session = await adapter.createSession(sessionFixture(kept.id))
    await adapter.deleteUser(doomed.id)
    expect(await adapter.getUser(kept.id)).toEqual(kept)
    expect(await adapter.getAccount(account.providerAccountId, account.provider)).toEqual(account)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toEqual({ session, user: kept })
  })

  test('a deleted user’s email can be used by a new user', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.deleteUser(user.id)
    const again = await adapter.createUser(userFixture({ email: user.email }))
    expect(await adapter.getUserByEmail(user.email)).toEqual(again)
  })
})
