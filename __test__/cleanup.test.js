'use strict'
// Expired sessions and verification tokens: removed by prune() on demand and by the sweeper.
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { randomUUID } = require('node:crypto')
const { newAdapter, storeConfig, userFixture, verificationTokenFixture } = require('./helpers')

const PAST = () => new Date(Date.now() - 60e3)
const FUTURE = () => new Date(Date.now() + 3600e3)

async function seed(adapter, { expiredSessions, liveSessions, expiredTokens, liveTokens }) {
  const user = await adapter.createUser(userFixture())
  const session = (expires) => ({ sessionToken: randomUUID(), userId: user.id, expires })
  const live = []
  for (let i = 0; i < expiredSessions; i++) await adapter.createSession(session(PAST()))
  for (let i = 0; i < liveSessions; i++) live.push(await adapter.createSession(session(FUTURE())))
  for (let i = 0; i < expiredTokens; i++) await adapter.createVerificationToken(verificationTokenFixture({ expires: PAST() }))
  const liveToken = verificationTokenFixture({ expires: FUTURE() })
  for (let i = 0; i < liveTokens; i++) await adapter.createVerificationToken(i === 0 ? liveToken : verificationTokenFixture())
  return { live, liveToken }
}

test('prune() removes expired sessions and verification tokens and reports how many', async () => {
  const adapter = newAdapter({ sweepInterval: 0 })
  await seed(adapter, { expiredSessions: 3, liveSessions: 2, expiredTokens: 4, liveTokens: 1 })
  expect(await adapter.prune()).toEqual({ sessions: 3, verificationTokens: 4, total: 7 })
})

test('prune() keeps sessions and tokens that have not expired', async () => {
  const adapter = newAdapter({ sweepInterval: 0 })
  const { live, liveToken } = await seed(adapter, { expiredSessions: 1, liveSessions: 2, expiredTokens: 1, liveTokens: 1 })
  await adapter.prune()
  for (const s of live) expect(await adapter.getSessionAndUser(s.sessionToken)).not.toBeNull()
  expect(await adapter.useVerificationToken(liveToken)).not.toBeNull()
})

test('prune() on a clean database removes nothing', async () => {
  const adapter = newAdapter({ sweepInterval: 0 })
  expect(await adapter.prune()).toEqual({ sessions: 0, verificationTokens: 0, total: 0 })
})

test('the sweeper removes expired rows on its interval without being asked', async () => {
  const adapter = newAdapter({ sweepInterval: 50 })
  const user = await adapter.createUser(userFixture())
  const expired = await adapter.createSession({ sessionToken: randomUUID(), userId: user.id, expires: PAST() })
  await adapter.createVerificationToken(verificationTokenFixture({ expires: PAST() }))
  // getSessionAndUser still returns an expired session (Auth.js checks expiry itself), so it
  // turning null means the sweeper deleted the row.
  const started = Date.now()
  while ((await adapter.getSessionAndUser(expired.sessionToken)) !== null && Date.now() - started < 5000) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  expect(await adapter.getSessionAndUser(expired.sessionToken)).toBeNull()
  // The expired verification token went in the same sweep: nothing is left for prune().
  expect(await adapter.prune()).toEqual({ sessions: 0, verificationTokens: 0, total: 0 })
})

test('with the sweeper off, expired rows stay until prune()', async () => {
  const adapter = newAdapter({ sweepInterval: 0 })
  const user = await adapter.createUser(userFixture())
  const expired = await adapter.createSession({ sessionToken: randomUUID(), userId: user.id, expires: PAST() })
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(await adapter.getSessionAndUser(expired.sessionToken)).not.toBeNull()
})

test('an open adapter with the default sweeper does not keep Node.js running', () => {
  const script = `
    const { RustAdapter } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const adapter = RustAdapter(${JSON.stringify(storeConfig())})
    adapter.createUser({ email: 'x@example.com' }).then(() => console.log('created'))
  `
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 })
  expect(child.error).toBeUndefined()
  expect(child.status).toBe(0)
  expect(child.stdout.trim()).toBe('created')
})

test('sweepInterval must be a non-negative integer', () => {
  expect(() => newAdapter({ sweepInterval: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }))
})
