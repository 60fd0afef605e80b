'use strict'
const { newAdapter, userFixture, sessionFixture } = require('./helpers')

const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'
const DAY = 24 * 3600 * 1000

/** A new adapter with one user in it. */
async function withUser() {
  const adapter = newAdapter()
  const user = await adapter.createUser(userFixture())
  return { adapter, user }
}

describe('createSession / getSessionAndUser', () => {
  test('createSession returns the session', async () => {
    const { adapter, user } = await withUser()
    const session = sessionFixture(user.id)
    expect(await adapter.createSession(session)).toEqual(session)
  })

  test('getSessionAndUser returns the session and its user', async () => {
    const { adapter, user } = await withUser()
    const session = sessionFixture(user.id)
    await adapter.createSession(session)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toEqual({ session, user })
  })

  test('getSessionAndUser returns only session and user', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    const result = await adapter.getSessionAndUser(session.sessionToken)
    expect(Object.keys(result).sort()).toEqual(['session', 'user'])
    expect(Object.keys(result.session).sort()).toEqual(['expires', 'sessionToken', 'userId'])
  })

  test('getSessionAndUser returns null for an unknown token', async () => {
    const { adapter, user } = await withUser()
    await adapter.createSession(sessionFixture(user.id))
    expect(await adapter.getSessionAndUser('invalid-token')).toBeNull()
  })

  test('session expires comes back as a Date with its milliseconds', async () => {
    const { adapter, user } = await withUser()
    const expires = new Date('2031-02-03T04:05:06.789Z')
    const session = await adapter.createSession(sessionFixture(user.id, { expires }))
    const { session: stored } = await adapter.getSessionAndUser(session.sessionToken)
    expect(isDate(stored.expires)).toBe(true)
    expect(stored.expires.getTime()).toBe(expires.getTime())
  })

  test('createSession accepts expires as an ISO-8601 string', async () => {
    const { adapter, user } = await withUser()
    const session = sessionFixture(user.id, { expires: '2031-02-03T04:05:06.789Z' })
    const created = await adapter.createSession(session)
    expect(created.expires.getTime()).toBe(Date.UTC(2031, 1, 3, 4, 5, 6, 789))
  })

  test('createSession accepts what toISOString() writes for a year after 9999', async () => {
    const { adapter, user } = await withUser()
    const expires = new Date('+010000-06-01T12:00:00.456Z')
    const created = await adapter.createSession(sessionFixture(user.id, { expires: expires.toISOString() }))
    expect(created.expires.getTime()).toBe(expires.getTime())
    const stored = await adapter.getSessionAndUser(created.sessionToken)
    expect(stored?.session.expires.getTime()).toBe(expires.getTime())
  })

  test('createSession for an unknown userId rejects with NOT_FOUND naming session.userId', async () => {
    const adapter = newAdapter()
    const session = sessionFixture('no-such-user')
    const error = await adapter.createSession(session).catch((e) => e)
    expect(error).toMatchObject({ code: 'NOT_FOUND' })
    expect(error.message).toMatch(/^NOT_FOUND: session\.userId/)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('createSession with a token in use rejects with UNIQUE_VIOLATION naming session.sessionToken', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    const error = await adapter.createSession(sessionFixture(user.id, { sessionToken: session.sessionToken })).catch(
      (e) => e,
    )
    expect(error).toMatchObject({ code: 'UNIQUE_VIOLATION' })
    expect(error.message).toMatch(/^UNIQUE_VIOLATION: session\.sessionToken/)
  })

  test('createSession ignores unknown keys', async () => {
    const { adapter, user } = await withUser()
    const session = sessionFixture(user.id)
    await adapter.createSession({ ...session, ipAddress: '127.0.0.1' })
    expect((await adapter.getSessionAndUser(session.sessionToken)).session).toEqual(session)
  })

  test('a user can have several sessions', async () => {
    const { adapter, user } = await withUser()
    const a = await adapter.createSession(sessionFixture(user.id))
    const b = await adapter.createSession(sessionFixture(user.id))
    expect(await adapter.getSessionAndUser(a.sessionToken)).toEqual({ session: a, user })
    expect(await adapter.getSessionAndUser(b.sessionToken)).toEqual({ session: b, user })
  })
})

describe('updateSession', () => {
  test('updateSession changes expires and returns the updated session', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    const expires = new Date(session.expires.getTime() + 30 * DAY)
    const updated = await adapter.updateSession({ sessionToken: session.sessionToken, expires })
    expect(updated).toEqual({ ...session, expires })
  })

  test('updateSession persists the new expires', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    const expires = new Date(session.expires.getTime() + 30 * DAY + 7)
    await adapter.updateSession({ sessionToken: session.sessionToken, expires })
    expect((await adapter.getSessionAndUser(session.sessionToken)).session.expires.getTime()).toBe(expires.getTime())
  })

  test('updateSession without expires keeps expires', async () => {
    const { adapter, user } = await withUser()
    const other = await adapter.createUser(userFixture())
    const session = await adapter.createSession(sessionFixture(user.id))
    const updated = await adapter.updateSession({ sessionToken: session.sessionToken, userId: other.id })
    expect(updated).toEqual({ ...session, userId: other.id })
    expect(await adapter.getSessionAndUser(session.sessionToken)).toEqual({
      session: { ...session, userId: other.id },
      user: other,
    })
  })

  test('updateSession returns null for an unknown token', async () => {
    const { adapter } = await withUser()
    expect(await adapter.updateSession({ sessionToken: 'missing', expires: new Date() })).toBeNull()
  })

  test('updateSession for an unknown token does not create a session', async () => {
    const { adapter, user } = await withUser()
    await adapter.updateSession({ sessionToken: 'missing', userId: user.id, expires: new Date(Date.now() + DAY) })
    expect(await adapter.getSessionAndUser('missing')).toBeNull()
  })
})

describe('deleteSession', () => {
  test('deleteSession returns the deleted session', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    expect(await adapter.deleteSession(session.sessionToken)).toEqual(session)
  })

  test('after deleteSession getSessionAndUser returns null', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteSession(session.sessionToken)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
  })

  test('deleteSession returns null for an unknown token', async () => {
    const { adapter } = await withUser()
    expect(await adapter.deleteSession('missing')).toBeNull()
  })

  test('deleteSession twice returns null the second time', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteSession(session.sessionToken)
    expect(await adapter.deleteSession(session.sessionToken)).toBeNull()
  })

  test('deleteSession keeps the user and the user’s other sessions', async () => {
    const { adapter, user } = await withUser()
    const doomed = await adapter.createSession(sessionFixture(user.id))
    const kept = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteSession(doomed.sessionToken)
    expect(await adapter.getUser(user.id)).toEqual(user)
    expect(await adapter.getSessionAndUser(kept.sessionToken)).toEqual({ session: kept, user })
  })

  test('a deleted session token can be created again', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteSession(session.sessionToken)
    const again = sessionFixture(user.id, { sessionToken: session.sessionToken })
    expect(await adapter.createSession(again)).toEqual(again)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toEqual({ session: again, user })
  })

  test('the session of a deleted user disappears', async () => {
    const { adapter, user } = await withUser()
    const session = await adapter.createSession(sessionFixture(user.id))
    await adapter.deleteUser(user.id)
    expect(await adapter.getSessionAndUser(session.sessionToken)).toBeNull()
    expect(await adapter.deleteSession(session.sessionToken)).toBeNull()
  })
})
