'use strict'
/**
 * One server of the HTTP part (started by lib/http.js): the Express demo stack — `express`
 * with `@auth/express` mounted at /auth, database sessions — on one contender's adapter, in a
 * process of its own. The load generator (autocannon) runs in the orchestrator's process.
 *
 * The job arrives as JSON in argv[2]: { mode, contender, filename, synchronous, n }.
 * - mode 'seed': creates the store (fresh file) and signs up users 0..n-1 through the
 *   adapter (createUser + createSession, 64 in flight), then exits. Run once per contender
 *   with synchronous=NORMAL: the seed is not measured, and the rounds only read.
 * - mode 'serve': opens the seeded store (the `memory` contender seeds its Maps here), listens
 *   on 127.0.0.1 on a port the OS picks, and tells the parent `{ listening: port }`. Then it
 *   answers the parent's messages: `{ cmd: 'mark' }` starts the measured window (CPU time and
 *   requests served and the getSessionAndUser calls' times from there on), `{ cmd: 'stop' }`
 *   ends it, closes the server and the adapter, and sends `{ result }` with the window's CPU
 *   time, requests, getSessionAndUser calls with their median and mean time, and the peak RSS.
 */

const fs = require('node:fs')
const { CONTENDERS } = require('./lib/contenders.js')
const { drive } = require('./lib/measure.js')
const data = require('./lib/data.js')

/** A fixed secret: the cookie is the raw database-session token, the secret signs nothing here. */
const SECRET = 'bench-http-secret-0123456789abcdef0123456789abcdef'

/** Signs up users 0..n-1 (a user and a database session each), 64 in flight. */
async function seed(adapter, n) {
  await drive({ tasks: n, concurrency: 64, samplesPerTask: 0 }, async (i) => {
    const user = await adapter.createUser(data.user(i))
    await adapter.createSession(data.session(i, user.id))
  })
}

/**
 * The adapter as Auth.js gets it, with getSessionAndUser timed: wall time from the call to its
 * Promise settling (`performance.now()`), each call's time kept in `counter.samples`. Every
 * contender gets the same wrapper; its own cost (two clock reads and an async function) shows
 * in the null adapter's figure. The bench reports the median: on a shared machine the server
 * is descheduled now and then, and microtasks queued by other work may run before the
 * Promise's continuation, which a mean would charge to the calls they happened in. (CPU time
 * per call is no better: `process.cpuUsage()` counts every thread of the process, and Auth.js
 * hashes on libuv's thread pool while a call runs.) Auth.js takes an adapter's own enumerable
 * methods and calls them unbound, so a copy of them with one replaced is what it sees anyway.
 */
function timed(adapter, counter) {
  const { performance } = require('node:perf_hooks')
  const getSessionAndUser = adapter.getSessionAndUser
  return {
    ...adapter,
    async getSessionAndUser(sessionToken) {
      const started = performance.now()
      try {
        return await getSessionAndUser(sessionToken)
      } finally {
        counter.samples.push(performance.now() - started)
      }
    },
  }
}

/** The app: the Auth.js options of examples/express that matter for GET /auth/session. */
async function app(adapter, counter) {
  const express = require('express')
  const { ExpressAuth } = await import('@auth/express')
  const { default: GitHub } = await import('@auth/express/providers/github')
  const config = {
    adapter: timed(adapter, counter),
    secret: SECRET,
    session: { strategy: 'database' },
    trustHost: true,
    // A provider is configured as a real app has one; GET /auth/session never contacts it.
    providers: [GitHub({ clientId: 'bench', clientSecret: 'bench' })],
    callbacks: {
      // As examples/express: the database strategy hands over the stored user.
      session({ session, user }) {
        return { user: { id: user.id, name: user.name, email: user.email, image: user.image }, expires: session.expires }
      },
    },
  }
  const server = express()
  server.disable('x-powered-by')
  server.use('/auth', (_req, _res, next) => {
    counter.requests++
    next()
  })
  server.use('/auth', ExpressAuth(config))
  return server
}

async function main() {
  const job = JSON.parse(process.argv[2])
  const contender = CONTENDERS[job.contender]
  if (!contender) throw new Error(`unknown contender ${job.contender}`)
  if (job.mode === 'seed') {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(job.filename + suffix, { force: true })
    const started = Date.now()
    const { adapter, close } = await contender.open(job.filename, { synchronous: 'normal', fresh: true })
    await seed(adapter, job.n)
    await close()
    const cpu = process.cpuUsage()
    process.send({ result: { seconds: (Date.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 } }, () => process.exit(0))
    return
  }
  const { adapter, close } = await contender.open(job.filename, { synchronous: job.synchronous, fresh: false })
  if (job.contender === 'memory') await seed(adapter, job.n)
  const counter = { requests: 0, samples: [] }
  const handler = await app(adapter, counter)
  const server = handler.listen(0, '127.0.0.1')
  await new Promise((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  let mark
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'mark') {
        mark = { cpu: process.cpuUsage(), requests: counter.requests }
        counter.samples = []
        process.send({ marked: true })
      } else if (m.cmd === 'stop') {
        const cpu = process.cpuUsage(mark?.cpu)
        const requests = counter.requests - (mark?.requests ?? 0)
        const calls = counter.samples.length
        const sorted = Float64Array.from(counter.samples).sort()
        const adapterUs = { p50: sorted[sorted.length >> 1] * 1000, mean: (sorted.reduce((a, b) => a + b, 0) / sorted.length) * 1000 }
        await new Promise((resolve) => {
          server.close(resolve)
          server.closeAllConnections()
        })
        await close()
        const total = process.cpuUsage()
        const result = {
          window: { cpuSeconds: (cpu.user + cpu.system) / 1e6, requests, calls, adapterUs },
          rssKib: process.resourceUsage().maxRSS,
          cpuSeconds: (total.user + total.system) / 1e6,
        }
        process.send({ result }, () => process.exit(0))
      }
    } catch (error) {
      process.send({ error: String(error && error.stack ? error.stack : error) }, () => process.exit(1))
    }
  })
  process.send({ listening: server.address().port })
}

main().catch((error) => {
  process.send({ error: String(error && error.stack ? error.stack : error) }, () => process.exit(1))
})
