'use strict'
/**
 * The workloads, run inside one child process against one adapter. Every contender gets the
 * same data and the same pick sequences (seeded by round), and every result is checked, so a
 * contender that returned the wrong thing (or nothing) fast would fail instead of winning.
 */

const data = require('./data.js')
const { drive, summarise } = require('./measure.js')

/** The suite's workloads, in the order they run (reads before the writes that churn). */
const SUITE = [
  { key: 'seed', label: 'seed: createUser + linkAccount + createSession', unit: 'users/s' },
  { key: 'read', label: 'getSessionAndUser, sequential', unit: 'ops/s' },
  { key: 'readTurn', label: 'getSessionAndUser, one call per event-loop turn', unit: 'ops/s' },
  { key: 'read64', label: 'getSessionAndUser, 64 in flight', unit: 'ops/s' },
  { key: 'byAccount', label: 'getUserByAccount, sequential', unit: 'ops/s' },
  { key: 'byAccountTurn', label: 'getUserByAccount, one call per event-loop turn', unit: 'ops/s' },
  { key: 'byEmail', label: 'getUserByEmail, sequential', unit: 'ops/s' },
  { key: 'byEmailTurn', label: 'getUserByEmail, one call per event-loop turn', unit: 'ops/s' },
  { key: 'signup', label: 'sign-up chain (createUser + linkAccount + createSession), sequential', unit: 'chains/s' },
  { key: 'mix', label: 'session writes (create/update/delete), sequential', unit: 'ops/s' },
  { key: 'mix64', label: 'session writes (create/update/delete), 64 in flight', unit: 'ops/s' },
  { key: 'tokens', label: 'createVerificationToken + useVerificationToken pair', unit: 'pairs/s' },
]

/** The scale part's rows (runHotRead), in the order they run. */
const SCALE = [
  { key: 'read', access: 'uniform, sequential' },
  { key: 'zipf', access: `Zipf-like (s = ${data.ZIPF_S}), sequential` },
  { key: 'zipfTurn', access: `Zipf-like (s = ${data.ZIPF_S}), one call per event-loop turn` },
]

/** Between workloads: collect garbage left by the previous one (worker runs with --expose-gc). */
function settleHeap() {
  if (global.gc) global.gc()
}

function fail(what, i, got) {
  throw new Error(`${what} #${i} returned a wrong result: ${JSON.stringify(got)}`)
}

/** getSessionAndUser on `picks` (indexes into the seeded sessions), checking each user. */
function readTask(adapter, picks, token) {
  return async (i, clock) => {
    const k = picks[i]
    const t = clock.now()
    const found = await adapter.getSessionAndUser(token(k))
    clock.record(t)
    if (found === null || found.user.email !== `user${k}@example.com`) fail('getSessionAndUser', i, found)
  }
}

/**
 * Runs the whole suite on a fresh, empty database.
 * @param adapter the contender's Auth.js adapter
 * @param cfg { n, round, concurrency, ops: { read, lookup, mix, mix64, tokens }, warm }
 * @returns { [key]: summary }
 */
async function runSuite(adapter, cfg) {
  const { n, round, concurrency, ops, warm } = cfg
  const seedOf = (w) => 7919 * (round + 1) + w
  const results = {}

  // Seed data is built before the clock starts, so only adapter calls are timed.
  const users = Array.from({ length: n }, (_, i) => data.user(i))
  const accounts = Array.from({ length: n }, (_, i) => data.account(i, ''))
  const sessions = Array.from({ length: n }, (_, i) => data.session(i, ''))
  const ids = new Array(n)

  results.seed = summarise(
    await drive({ tasks: n, concurrency, samplesPerTask: 1 }, async (i, clock) => {
      const t = clock.now()
      const user = await adapter.createUser(users[i])
      accounts[i].userId = user.id
      await adapter.linkAccount(accounts[i])
      sessions[i].userId = user.id
      await adapter.createSession(sessions[i])
      clock.record(t)
      ids[i] = user.id
    }),
  )
  const token = (k) => sessions[k].sessionToken

  /**
   * Workload `w`: `pass(seed, count, tag)` drives `count` tasks; it runs once as a warm-up
   * (other picks, other keys) and once measured.
   */
  const warmThenMeasure = async (w, warmCount, count, pass) => {
    settleHeap()
    await pass(seedOf(100 + w), warmCount, `r${round}-warm${w}`)
    return summarise(await pass(seedOf(w), count, `r${round}-w${w}`))
  }

  // Reads of the seeded sessions, users and accounts. "Sequential" chains the calls (each one
  // made as soon as the previous Promise settled, often in the same event-loop turn); "one call
  // per event-loop turn" puts a setImmediate before each call, as requests reach a server.
  const reads = (inFlight, perTurn = false) => (seed, count) => {
    const picks = data.picks(seed, count, n)
    return drive({ tasks: count, concurrency: inFlight, samplesPerTask: 1, perTurn }, readTask(adapter, picks, token))
  }
  results.read = await warmThenMeasure(1, warm.read, ops.read, reads(1))
  results.readTurn = await warmThenMeasure(8, warm.read, ops.read, reads(1, true))
  results.read64 = await warmThenMeasure(2, warm.read, ops.read, reads(concurrency))

  const lookup = (call, perTurn = false) => (seed, count) => {
    const picks = data.picks(seed, count, n)
    return drive({ tasks: count, concurrency: 1, samplesPerTask: 1, perTurn }, async (i, clock) => {
      const k = picks[i]
      const t = clock.now()
      const user = await call(k)
      clock.record(t)
      if (user === null || user.id !== ids[k]) fail('lookup', i, user)
    })
  }
  results.byAccount = await warmThenMeasure(
    3,
    warm.read,
    ops.lookup,
    lookup((k) => adapter.getUserByAccount({ provider: 'github', providerAccountId: accounts[k].providerAccountId })),
  )
  results.byAccountTurn = await warmThenMeasure(
    9,
    warm.read,
    ops.lookup,
    lookup((k) => adapter.getUserByAccount({ provider: 'github', providerAccountId: accounts[k].providerAccountId }), true),
  )
  results.byEmail = await warmThenMeasure(
    4,
    warm.read,
    ops.lookup,
    lookup((k) => adapter.getUserByEmail(users[k].email)),
  )
  results.byEmailTurn = await warmThenMeasure(
    10,
    warm.read,
    ops.lookup,
    lookup((k) => adapter.getUserByEmail(users[k].email), true),
  )

  // Sign-up chain: a new user's first OAuth sign-in, createUser → linkAccount → createSession,
  // each awaited before the next, one chain after the other; one sample per chain. Users n, n+1,
  // … are new (the warm-up takes the first ones, the measured pass the next).
  let nextNew = n
  const signUps = (_seed, count) => {
    const first = nextNew
    nextNew += count
    const newUsers = Array.from({ length: count }, (_, j) => data.user(first + j))
    const newAccounts = Array.from({ length: count }, (_, j) => data.account(first + j, ''))
    const newSessions = Array.from({ length: count }, (_, j) => data.session(first + j, ''))
    return drive({ tasks: count, concurrency: 1, samplesPerTask: 1 }, async (j, clock) => {
      const t = clock.now()
      const user = await adapter.createUser(newUsers[j])
      newAccounts[j].userId = user.id
      const account = await adapter.linkAccount(newAccounts[j])
      newSessions[j].userId = user.id
      const session = await adapter.createSession(newSessions[j])
      clock.record(t)
      // (The ORM adapters make their own ids; the seed's are only a suggestion.)
      if (typeof user.id !== 'string' || user.id === '' || user.email !== newUsers[j].email) fail('createUser', j, user)
      if (account && account.providerAccountId !== newAccounts[j].providerAccountId) fail('linkAccount', j, account)
      if (session.sessionToken !== newSessions[j].sessionToken || session.userId !== user.id) fail('createSession', j, session)
    })
  }
  results.signup = await warmThenMeasure(11, warm.write, ops.signup ?? ops.mix, signUps)

  // Session writes: each task creates a new session for a random user, extends it, deletes
  // it; each of the three calls is one sample.
  const expires = new Date(data.EXPIRES_MS)
  const extended = new Date(data.EXPIRES_MS + data.DAY_MS)
  const writeMix = (inFlight) => (seed, count, tag) => {
    const picks = data.picks(seed, count, n)
    const tokens = Array.from({ length: count }, (_, j) => data.uuidFor(tag, j))
    return drive({ tasks: count, concurrency: inFlight, samplesPerTask: 3 }, async (j, clock) => {
      const sessionToken = tokens[j]
      let t = clock.now()
      await adapter.createSession({ sessionToken, userId: ids[picks[j]], expires })
      clock.record(t)
      t = clock.now()
      const updated = await adapter.updateSession({ sessionToken, expires: extended })
      clock.record(t)
      t = clock.now()
      await adapter.deleteSession(sessionToken)
      clock.record(t)
      if (updated === null || updated.expires.getTime() !== extended.getTime()) fail('updateSession', j, updated)
    })
  }
  results.mix = await warmThenMeasure(5, warm.write, ops.mix, writeMix(1))
  results.mix64 = await warmThenMeasure(6, warm.write, ops.mix64, writeMix(concurrency))

  // Verification tokens: a magic-link sign-in stores a token, then uses it once; one sample
  // per pair.
  const tokenPairs = (seed, count, tag) => {
    const picks = data.picks(seed, count, n)
    const values = Array.from({ length: count }, (_, j) => data.uuidFor(tag, j))
    return drive({ tasks: count, concurrency: 1, samplesPerTask: 1 }, async (j, clock) => {
      const identifier = users[picks[j]].email
      const t = clock.now()
      await adapter.createVerificationToken({ identifier, token: values[j], expires })
      const used = await adapter.useVerificationToken({ identifier, token: values[j] })
      clock.record(t)
      if (used === null || used.token !== values[j]) fail('useVerificationToken', j, used)
    })
  }
  results.tokens = await warmThenMeasure(7, warm.write, ops.tokens, tokenPairs)
  return results
}

/**
 * The hot read alone, on a file seeded beforehand with `n` users (seed.js): getSessionAndUser
 * on `ops` tokens after `warm` warm-up calls (other picks), three ways:
 * - `read`: uniformly random tokens, sequential (every user equally likely: at 1M users this
 *   mostly measures the CPU's and the page cache's misses, kept as information);
 * - `zipf`: tokens drawn from a Zipf-like distribution (s = data.ZIPF_S: a hot set of active
 *   users and a long tail), sequential;
 * - `zipfTurn`: the same picks, one call per event-loop turn, as a server's requests arrive.
 * Each warm-up draws from the same distribution as its measured pass, with another seed.
 */
async function runHotRead(adapter, { n, round, ops, warm }) {
  const token = (k) => data.uuidFor('session', k)
  const pass = async (warmPicks, picks, perTurn) => {
    await drive({ tasks: warmPicks.length, concurrency: 1, samplesPerTask: 1, perTurn }, readTask(adapter, warmPicks, token))
    // Tokens are derived before the clock starts (hashing them inside would time the bench).
    const tokens = new Map()
    for (const k of picks) if (!tokens.has(k)) tokens.set(k, token(k))
    settleHeap()
    return summarise(
      await drive({ tasks: picks.length, concurrency: 1, samplesPerTask: 1, perTurn }, readTask(adapter, picks, (k) => tokens.get(k))),
    )
  }
  const results = {}
  results.read = await pass(data.picks(50000 + round, warm, n), data.picks(60000 + round, ops, n), false)
  const zipfWarm = data.zipfPicks(70000 + round, warm, n, data.ZIPF_S)
  const zipf = data.zipfPicks(80000 + round, ops, n, data.ZIPF_S)
  results.zipf = await pass(zipfWarm, zipf, false)
  results.zipfTurn = await pass(zipfWarm, zipf, true)
  return results
}

module.exports = { SUITE, SCALE, runSuite, runHotRead }
