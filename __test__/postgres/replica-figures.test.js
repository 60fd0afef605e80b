'use strict'
// The replica figures of the issue, measured with 3 replica processes on one hub: how fast a
// sign-out and a profile update reach the other replicas (p50/p99 over 200 trials each), how a
// replica read compares with a plain PostgreSQL read, and 3 replicas racing for tokens. The
// figures are printed, not asserted (they depend on the machine); the outcomes are asserted.
const { randomUUID } = require('node:crypto')
const { newAdapter, storeConfig, userFixture, verificationTokenFixture } = require('../helpers')
const { startReplica } = require('./pg')

const TRIALS = 200

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
const fmt = (ms) => `${ms.toFixed(1)} ms`

let hub
let replicas
beforeAll(async () => {
  hub = newAdapter(storeConfig({ sweepInterval: 0 }))
  await hub.getUser('migrate-first')
  replicas = [startReplica(hub.config), startReplica(hub.config), startReplica(hub.config)]
  const ready = await Promise.all(replicas.map((r) => r.ready))
  for (const r of ready) expect(r).toEqual({ id: 0, ready: true, registered: true })
}, 60000)

afterAll(async () => {
  await Promise.all((replicas ?? []).map((r) => r.send({ op: 'close' }).catch(() => {})))
})

test(`a sign-out through replica A stops the session on B and C (${TRIALS} trials)`, async () => {
  const [a, b, c] = replicas
  const user = (await a.send({ op: 'call', method: 'createUser', args: [userFixture()] })).value
  const latencies = []
  for (let i = 0; i < TRIALS; i++) {
    const token = randomUUID()
    const session = { sessionToken: token, userId: user.id, expires: new Date(Date.now() + 3600e3) }
    expect((await a.send({ op: 'call', method: 'createSession', args: [session] })).code).toBeUndefined()
    await Promise.all([b.send({ op: 'until', token, present: true }), c.send({ op: 'until', token, present: true })])
    const gone = Promise.all([b.send({ op: 'until', token, present: false }), c.send({ op: 'until', token, present: false })])
    const signedOut = await a.send({ op: 'call', method: 'deleteSession', args: [token] })
    expect(signedOut.code).toBeUndefined()
    const [onB, onC] = await gone
    latencies.push(Math.max(onB.at, onC.at) - signedOut.at)
  }
  console.log(
    `revocation across 3 replicas: a session deleted through A is refused by B and C after p50 ${fmt(percentile(latencies, 50))}, ` +
      `p99 ${fmt(percentile(latencies, 99))}, max ${fmt(Math.max(...latencies))} (${TRIALS} trials, loopback)`,
  )
  expect(latencies).toHaveLength(TRIALS)
})

test(`a profile update through replica A becomes visible on B and C (${TRIALS} trials)`, async () => {
  const [a, b, c] = replicas
  const user = (await a.send({ op: 'call', method: 'createUser', args: [userFixture()] })).value
  await Promise.all([b, c].map((r) => r.send({ op: 'untilName', userId: user.id, name: user.name })))
  const latencies = []
  for (let i = 0; i < TRIALS; i++) {
    const name = `name ${i}`
    const seen = Promise.all([b, c].map((r) => r.send({ op: 'untilName', userId: user.id, name })))
    const updated = await a.send({ op: 'call', method: 'updateUser', args: [{ id: user.id, name }] })
    expect(updated.code).toBeUndefined()
    const [onB, onC] = await seen
    latencies.push(Math.max(onB.at, onC.at) - updated.at)
  }
  console.log(
    `user update across 3 replicas: visible on B and C after p50 ${fmt(percentile(latencies, 50))}, ` +
      `p99 ${fmt(percentile(latencies, 99))}, max ${fmt(Math.max(...latencies))} (${TRIALS} trials, loopback)`,
  )
  expect(latencies).toHaveLength(TRIALS)
})

const ROUNDS = 7
const CALLS = 2000

/** The machine and run the figures come from. */
function conditions() {
  const os = require('node:os')
  const cpus = os.cpus()
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), load average ${os.loadavg()[0].toFixed(2)}, Node ${process.version}, loopback`
}

/** `median (min–max)` of `values`, each formatted by `fmt`. */
const spread = (values, fmt) => `${fmt(percentile(values, 50))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`

test(`getSessionAndUser on a replica against the plain PostgreSQL backend: ${ROUNDS} alternating rounds of ${CALLS} calls`, async () => {
  const [a, b] = replicas
  const user = (await a.send({ op: 'call', method: 'createUser', args: [userFixture()] })).value
  const token = randomUUID()
  await a.send({ op: 'call', method: 'createSession', args: [{ sessionToken: token, userId: user.id, expires: new Date(Date.now() + 3600e3) }] })
  await b.send({ op: 'until', token, present: true })
  const plain = newAdapter(hub.config)
  // Warm-up of both.
  await b.send({ op: 'reads', token, n: 200 })
  for (let i = 0; i < 200; i++) await plain.getSessionAndUser(token)
  const onReplica = []
  const onPlain = []
  for (let round = 0; round < ROUNDS; round++) {
    const replica = await b.send({ op: 'reads', token, n: CALLS })
    expect(replica.found).toBe(CALLS)
    onReplica.push(replica.us)
    const started = performance.now()
    for (let i = 0; i < CALLS; i++) expect(await plain.getSessionAndUser(token)).not.toBeNull()
    onPlain.push(((performance.now() - started) * 1000) / CALLS)
  }
  const ratios = onReplica.map((us, i) => onPlain[i] / us)
  const us = (v) => `${v.toFixed(1)} µs`
  console.log(
    `getSessionAndUser per call, median (min–max) of ${ROUNDS} alternating rounds of ${CALLS} sequential calls: ` +
      `replica ${spread(onReplica, us)}, plain PostgreSQL backend ${spread(onPlain, us)}, ` +
      `the replica ${spread(ratios, (x) => `${x.toFixed(1)}x`)} faster; ${conditions()}`,
  )
  expect(onReplica).toHaveLength(ROUNDS)
})

test('3 replicas racing for the same verification tokens: each token is used exactly once', async () => {
  const tokens = Array.from({ length: 30 }, () => verificationTokenFixture())
  for (const token of tokens) await hub.createVerificationToken(token)
  const keys = tokens.map(({ identifier, token }) => ({ identifier, token }))
  const results = await Promise.all(replicas.map((r) => r.send({ op: 'take', keys })))
  const wins = results.flatMap((r) => r.won).sort((x, y) => x - y)
  expect(wins).toEqual(keys.map((_, i) => i))
})
