'use strict'
// Session management beyond the Auth.js interface: a user's devices (listSessions), signing
// one out (revokeSession), everywhere or everywhere else (revokeUserSessions), the request a
// session came from (withRequest, expressMiddleware) and sessions for Credentials sign-ins
// (createSessionFor). Runs on SQLite and, through the PostgreSQL config, on PostgreSQL.
const http = require('node:http')
const { createHash } = require('node:crypto')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { newAdapter, userFixture, sessionFixture, sqliteTest, RustAdapter } = require('./helpers')

const HOUR = 3600 * 1000

/** A user with `n` sessions created one after another (so their creation times differ). */
async function userWithSessions(adapter, n) {
  const user = await adapter.createUser(userFixture())
  const sessions = []
  for (let i = 0; i < n; i++) {
    sessions.push(await adapter.createSession(sessionFixture(user.id)))
    await new Promise((resolve) => setTimeout(resolve, 3))
  }
  return { user, sessions }
}

const errorOf = async (promise) => promise.then(() => undefined, (e) => e)
/** A Date of any realm (the native side makes them in the addon's). */
const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]'

describe('listSessions', () => {
  test("lists a user's sessions newest first, with a public id, expiry and times", async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 3)
    const listed = await adapter.listSessions(user.id)
    expect(listed).toHaveLength(3)
    expect(listed.map((s) => s.expires.getTime())).toEqual(sessions.map((s) => s.expires.getTime()).reverse())
    for (const s of listed) {
      const { expires, createdAt, lastActiveAt, ...rest } = s
      expect(rest).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), userId: user.id, userAgent: null, ipAddress: null, current: false })
      expect([expires, createdAt, lastActiveAt].every(isDate)).toBe(true)
    }
    const created = listed.map((s) => s.createdAt.getTime())
    expect(created).toEqual([...created].sort((a, b) => b - a))
  })

  test('an unknown user has no sessions', async () => {
    const adapter = newAdapter()
    expect(await adapter.listSessions('no-such-user')).toEqual([])
  })

  test('expired sessions are not listed', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.createSession(sessionFixture(user.id, { expires: new Date(Date.now() - 1000) }))
    const live = await adapter.createSession(sessionFixture(user.id))
    const listed = await adapter.listSessions(user.id)
    expect(listed).toHaveLength(1)
    expect(listed[0].expires).toEqual(live.expires)
  })

  test('the session whose token is passed as current is marked', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 2)
    const listed = await adapter.listSessions(user.id, { current: sessions[0].sessionToken })
    expect(listed.map((s) => s.current)).toEqual([false, true])
  })

  test('neither the token nor its stored hash appears in the list', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 1)
    const text = JSON.stringify(await adapter.listSessions(user.id))
    const token = sessions[0].sessionToken
    expect(text).not.toContain(token)
    expect(text).not.toContain(createHash('sha256').update(token).digest('hex'))
  })

  test('updateSession moves lastActiveAt, not createdAt', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 1)
    const [before] = await adapter.listSessions(user.id)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await adapter.updateSession({ sessionToken: sessions[0].sessionToken, expires: new Date(Date.now() + 48 * HOUR) })
    const [after] = await adapter.listSessions(user.id)
    expect(after.createdAt).toEqual(before.createdAt)
    expect(after.lastActiveAt.getTime()).toBeGreaterThan(before.lastActiveAt.getTime())
  })

  test('a userId that is not a string is refused, naming it', async () => {
    const adapter = newAdapter()
    expect(await errorOf(adapter.listSessions(42))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('userId') })
  })

  test('an unknown option is refused, naming it', async () => {
    const adapter = newAdapter()
    const error = await errorOf(adapter.listSessions('u', { currnet: 'x' }))
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('options.currnet') })
  })
})

describe('revokeSession', () => {
  test("deletes the user's session with that id, and the next read of it finds nothing", async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 2)
    const [newest, oldest] = await adapter.listSessions(user.id)
    const revoked = await adapter.revokeSession(user.id, oldest.id)
    expect(revoked).toMatchObject({ id: oldest.id, userId: user.id })
    expect(await adapter.getSessionAndUser(sessions[0].sessionToken)).toBeNull()
    expect((await adapter.listSessions(user.id)).map((s) => s.id)).toEqual([newest.id])
  })

  test("another user's session id deletes nothing and answers null", async () => {
    const adapter = newAdapter()
    const victim = await userWithSessions(adapter, 1)
    const attacker = await adapter.createUser(userFixture())
    const [target] = await adapter.listSessions(victim.user.id)
    expect(await adapter.revokeSession(attacker.id, target.id)).toBeNull()
    expect(await adapter.getSessionAndUser(victim.sessions[0].sessionToken)).not.toBeNull()
  })

  test('the session token is not a session id', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 1)
    expect(await adapter.revokeSession(user.id, sessions[0].sessionToken)).toBeNull()
    expect(await adapter.getSessionAndUser(sessions[0].sessionToken)).not.toBeNull()
  })

  test('a revoked session is refused by another adapter on the same database at once', async () => {
    const adapter = newAdapter()
    const other = newAdapter({ ...adapter.config })
    const { user, sessions } = await userWithSessions(adapter, 1)
    expect(await other.getSessionAndUser(sessions[0].sessionToken)).not.toBeNull()
    const [listed] = await adapter.listSessions(user.id)
    await adapter.revokeSession(user.id, listed.id)
    expect(await other.getSessionAndUser(sessions[0].sessionToken)).toBeNull()
  })

  sqliteTest('a revoked session is refused by the next read of another process on the file', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 1)
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'session-reader.js'), adapter.filename], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const answers = []
    let waiting = null
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        answers.push(line)
        waiting?.()
      }
    })
    const next = async () => {
      const seen = answers.length
      while (answers.length === seen) await new Promise((resolve) => (waiting = resolve))
      return answers[answers.length - 1]
    }
    try {
      expect(await next()).toBe('ready')
      child.stdin.write(`${sessions[0].sessionToken}\n`)
      expect(await next()).toBe('found')
      const [listed] = await adapter.listSessions(user.id)
      await adapter.revokeSession(user.id, listed.id)
      child.stdin.write(`${sessions[0].sessionToken}\n`)
      expect(await next()).toBe('none')
    } finally {
      child.stdin.end()
      await new Promise((resolve) => child.once('exit', resolve))
    }
  })

  test('arguments that are not strings are refused, naming them', async () => {
    const adapter = newAdapter()
    expect(await errorOf(adapter.revokeSession('u', 7))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('id') })
    expect(await errorOf(adapter.revokeSession(null, 'x'))).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('userId') })
  })
})

describe('revokeUserSessions', () => {
  test('signs a user out everywhere and answers how many sessions went', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 3)
    expect(await adapter.revokeUserSessions(user.id)).toBe(3)
    for (const s of sessions) expect(await adapter.getSessionAndUser(s.sessionToken)).toBeNull()
  })

  test('with except, keeps the current session: sign out everywhere else', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 3)
    expect(await adapter.revokeUserSessions(user.id, { except: sessions[1].sessionToken })).toBe(2)
    expect(await adapter.getSessionAndUser(sessions[1].sessionToken)).not.toBeNull()
    expect(await adapter.getSessionAndUser(sessions[0].sessionToken)).toBeNull()
    expect(await adapter.getSessionAndUser(sessions[2].sessionToken)).toBeNull()
  })

  test('takes several users at once (a ban wave), leaving the others alone', async () => {
    const adapter = newAdapter()
    const banned = [await userWithSessions(adapter, 2), await userWithSessions(adapter, 1)]
    const bystander = await userWithSessions(adapter, 1)
    expect(await adapter.revokeUserSessions(banned.map((b) => b.user.id))).toBe(3)
    expect(await adapter.getSessionAndUser(bystander.sessions[0].sessionToken)).not.toBeNull()
  })

  test('an unknown user has nothing to revoke', async () => {
    const adapter = newAdapter()
    expect(await adapter.revokeUserSessions('no-such-user')).toBe(0)
    expect(await adapter.revokeUserSessions([])).toBe(0)
  })

  test('a bad id in the list is refused before anything is deleted', async () => {
    const adapter = newAdapter()
    const { user, sessions } = await userWithSessions(adapter, 1)
    const error = await errorOf(adapter.revokeUserSessions([user.id, 5]))
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('userIds[1]') })
    expect(await adapter.getSessionAndUser(sessions[0].sessionToken)).not.toBeNull()
  })

  test('an unknown option is refused, naming it', async () => {
    const adapter = newAdapter()
    const error = await errorOf(adapter.revokeUserSessions('u', { keep: 'x' }))
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('options.keep') })
  })
})

describe('the request a session comes from', () => {
  const request = (headers, remoteAddress = '203.0.113.77') => ({ headers, socket: { remoteAddress } })

  test('withRequest records the user agent, and no address unless asked', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await adapter.withRequest(request({ 'user-agent': 'Firefox/140' }), () => adapter.createSession(sessionFixture(user.id)))
    const [listed] = await adapter.listSessions(user.id)
    expect(listed.userAgent).toBe('Firefox/140')
    expect(listed.ipAddress).toBeNull()
  })

  test('captureIp records the socket address, truncated when asked', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const req = request({ 'user-agent': 'a' })
    await adapter.withRequest(req, () => adapter.createSession(sessionFixture(user.id)), { captureIp: true })
    await adapter.withRequest(req, () => adapter.createSession(sessionFixture(user.id)), { captureIp: 'truncated' })
    const addresses = (await adapter.listSessions(user.id)).map((s) => s.ipAddress).sort()
    expect(addresses).toEqual(['203.0.113.0', '203.0.113.77'])
  })

  test('X-Forwarded-For counts only with trustProxy', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const req = request({ 'x-forwarded-for': '198.51.100.9, 10.0.0.1' }, '10.0.0.1')
    await adapter.withRequest(req, () => adapter.createSession(sessionFixture(user.id)), { captureIp: true })
    await adapter.withRequest(req, () => adapter.createSession(sessionFixture(user.id)), { captureIp: true, trustProxy: true })
    const addresses = (await adapter.listSessions(user.id)).map((s) => s.ipAddress).sort()
    expect(addresses).toEqual(['10.0.0.1', '198.51.100.9'])
  })

  test('a Web Request (Next.js route handlers) works too', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const req = new Request('http://localhost/api/auth/callback', { headers: { 'user-agent': 'Safari/19' } })
    await adapter.withRequest(req, () => adapter.createSession(sessionFixture(user.id)))
    expect((await adapter.listSessions(user.id))[0].userAgent).toBe('Safari/19')
  })

  test('the context follows the handler through awaits, and stays out of other requests', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    await Promise.all([
      adapter.withRequest(request({ 'user-agent': 'one' }), async () => {
        await new Promise((resolve) => setTimeout(resolve, 10))
        await adapter.createSession(sessionFixture(user.id))
      }),
      adapter.withRequest(request({ 'user-agent': 'two' }), () => adapter.createSession(sessionFixture(user.id))),
      adapter.createSession(sessionFixture(user.id)),
    ])
    const agents = (await adapter.listSessions(user.id)).map((s) => s.userAgent).sort()
    expect(agents).toEqual([null, 'one', 'two'])
  })

  test('expressMiddleware records each request of a real HTTP server', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const middleware = adapter.expressMiddleware({ captureIp: true })
    const server = http.createServer((req, res) =>
      middleware(req, res, async () => {
        await adapter.createSession(sessionFixture(user.id))
        res.end('ok')
      }),
    )
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address()
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'user-agent': 'curl/9' } })
      expect(await response.text()).toBe('ok')
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    const [listed] = await adapter.listSessions(user.id)
    expect(listed).toMatchObject({ userAgent: 'curl/9', ipAddress: '127.0.0.1' })
  })

  test('unknown options are refused, naming them', () => {
    const adapter = newAdapter()
    expect(() => adapter.expressMiddleware({ captureIP: true })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('options.captureIP') }))
    expect(() => adapter.withRequest({}, () => {}, { trustProxy: 'yes' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
  })
})

describe('createSessionFor (Credentials sign-in with database sessions)', () => {
  test('creates a session Auth.js finds, and answers its cookie value and expiry', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const { sessionToken, expires } = await adapter.createSessionFor(user.id)
    expect(typeof sessionToken).toBe('string')
    expect(expires.getTime()).toBeGreaterThan(Date.now() + 29 * 24 * HOUR)
    const found = await adapter.getSessionAndUser(sessionToken)
    expect(found.user.id).toBe(user.id)
    expect(found.session.expires).toEqual(expires)
  })

  test('takes maxAge in seconds', async () => {
    const adapter = newAdapter()
    const user = await adapter.createUser(userFixture())
    const { expires } = await adapter.createSessionFor(user.id, { maxAge: 3600 })
    expect(Math.abs(expires.getTime() - (Date.now() + HOUR))).toBeLessThan(60_000)
  })

  test('an unknown user is refused with NOT_FOUND; a bad id or maxAge with INVALID_INPUT', async () => {
    const adapter = newAdapter()
    expect(await errorOf(adapter.createSessionFor('no-such-user'))).toMatchObject({ code: 'NOT_FOUND' })
    expect(await errorOf(adapter.createSessionFor(undefined))).toMatchObject({ code: 'INVALID_INPUT' })
    expect(await errorOf(adapter.createSessionFor('u', { maxAge: -1 }))).toMatchObject({ code: 'INVALID_INPUT' })
  })
})

test('the default export has the session management methods as own properties', () => {
  const adapter = newAdapter()
  for (const name of ['listSessions', 'revokeSession', 'revokeUserSessions', 'createSessionFor', 'withRequest', 'expressMiddleware']) {
    expect(Object.keys(adapter)).toContain(name)
  }
  expect(RustAdapter).toBeInstanceOf(Function)
})
