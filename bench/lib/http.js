'use strict'
/**
 * The HTTP part: requests per second of `GET /auth/session` with a signed-in cookie on the
 * Express demo stack (express + @auth/express, database sessions), one server process per
 * contender (http-server.js), load from autocannon in this process.
 *
 * Each contender's store is seeded once (users 0..n-1, a database session each); then in
 * interleaved rounds each contender gets a fresh server process on it, a warm-up load, and a
 * measured load of a fixed number of requests. Every response is checked: it must be a 200
 * whose session JSON names the user the cookie's token belongs to; a non-2xx answer, a
 * socket error, a timeout or a wrong user fails the run. Tokens are drawn uniformly from the
 * seeded users by a seeded PRNG, so every contender gets the same picks.
 *
 * The `memory` contender (lib/memory.js, no database) runs the same app as the reference for
 * the adapter's share of a request.
 */

const path = require('node:path')
const { fork } = require('node:child_process')
const { performance } = require('node:perf_hooks')
const data = require('./data.js')
const { median } = require('./measure.js')

const BENCH = path.resolve(__dirname, '..')
/** The contenders of the HTTP part, in this order when all run (`memory` is the reference). */
const HTTP_CONTENDERS = ['rust', 'floor', 'drizzle', 'memory']
const COOKIE = 'authjs.session-token'

/**
 * Starts http-server.js for `job` in a child process. Resolves once it is seeded (mode 'seed':
 * to its result) or listening (mode 'serve': to `{ port, mark, stop, kill }`: `mark()` starts
 * the measured window once the child confirms, `stop()` ends it and resolves to the child's
 * final result, `kill()` ends the child on an error).
 */
function startServer(job, { execPath, env, children }) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(BENCH, 'http-server.js'), [JSON.stringify(job)], {
      execPath,
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children?.add(child)
    let result
    let error
    let waiting = null
    let finish
    const done = new Promise((res, rej) => {
      finish = { res, rej }
    })
    done.catch(() => {}) // observed by whoever awaits it; an early failure rejects the start too
    child.on('message', (m) => {
      if (m.listening) {
        resolve({
          port: m.listening,
          mark() {
            return new Promise((res, rej) => {
              waiting = { res, rej }
              child.send({ cmd: 'mark' })
            })
          },
          stop() {
            child.send({ cmd: 'stop' })
            return done
          },
          done,
          kill: () => child.kill('SIGTERM'),
        })
      } else if (m.marked && waiting) {
        const w = waiting
        waiting = null
        w.res()
      } else if (m.result) result = m.result
      else if (m.error) error = m.error
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      children?.delete(child)
      if (result) {
        if (job.mode === 'seed') resolve(result)
        finish.res(result)
      } else {
        const e = new Error(`HTTP ${job.mode} ${job.contender} failed (exit ${code ?? signal}): ${error ?? 'no result'}`)
        reject(e)
        finish.rej(e)
        waiting?.rej(e)
      }
    })
  })
}

/**
 * Runs autocannon against `server.port`: `amount` requests over `connections` keep-alive
 * connections (one request in flight on each), each with the session cookie of a user picked
 * by a PRNG seeded with `seed`; checks every answer. Fails (and stops autocannon) if the
 * server process ends meanwhile.
 * @returns {{ ok: number, seconds: number, rps: number, latency: { mean, p50, p99 } }} (ms)
 */
async function load(server, { seed, amount, connections, n, cookies }) {
  const autocannon = require('autocannon')
  const tally = { ok: 0, last: NaN, bad: [] }
  const options = loadOptions(server.port, { amount, connections, n, cookies, next: data.prng(seed), tally })
  const started = performance.now()
  let instance
  const finished = new Promise((resolve, reject) => {
    instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)))
  })
  const died = server.done.then(
    () => new Error('the server exited during the load'),
    (error) => error,
  )
  const result = await Promise.race([finished, died.then((error) => ({ died: error }))])
  if (result.died) {
    instance.stop()
    throw result.died
  }
  // From the start to the last answer: autocannon itself notices that it is done only on its
  // next one-second tick, so its own duration (and the wall time of this call) is rounded up.
  const { ok, last, bad } = tally
  const seconds = (last - started) / 1000
  const failures = result.non2xx + result.errors + result.timeouts + (result.mismatches ?? 0)
  if (failures > 0 || ok !== result.requests.total || ok < amount) {
    throw new Error(
      `GET /auth/session: ${ok} of ${amount} answers right (${result.requests.total} answered, ${result.non2xx} non-2xx, ` +
        `${result.errors} errors, ${result.timeouts} timeouts)${bad.length ? `; first: ${bad.join(' | ')}` : ''}`,
    )
  }
  return { ok, seconds, rps: ok / seconds, latency: { mean: result.latency.average, p50: result.latency.p50, p99: result.latency.p99 } }
}

/** autocannon's options for `load`: checks each answer, counting the right ones in `tally`. */
function loadOptions(port, { amount, connections, n, cookies, next, tally }) {
  const { bad } = tally
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    amount,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        path: '/auth/session',
        setupRequest(request, context) {
          const k = Math.floor(next() * n)
          context.k = k
          return { ...request, headers: { ...request.headers, cookie: cookies[k] } }
        },
        onResponse(status, body, context) {
          tally.last = performance.now()
          if (status !== 200) {
            if (bad.length < 3) bad.push(`HTTP ${status} for user ${context.k}: ${String(body).slice(0, 200)}`)
            return
          }
          let session
          try {
            session = JSON.parse(body)
          } catch {
            session = null
          }
          if (session?.user?.email === `user${context.k}@example.com` && typeof session.user.id === 'string') tally.ok++
          else if (bad.length < 3) bad.push(`wrong session for user ${context.k}: ${String(body).slice(0, 200)}`)
        },
      },
    ],
  }
}

/**
 * The whole HTTP part. `contenders`: which of HTTP_CONTENDERS to run; `plan`: { n, rounds,
 * amount, warm, connections }; `child`: { execPath, env, children } for the server processes;
 * `fileOf(contender)`: its SQLite file; `removeDb(file)`.
 * @returns {{ [contender]: { rounds: [{ rps, latency, cpuUsPerRequest, rssKib }], median: {...} } }}
 */
async function runHttp({ contenders, plan, synchronous, child, fileOf, removeDb, rotated, log }) {
  const cookies = Array.from({ length: plan.n }, (_, k) => `${COOKIE}=${data.uuidFor('session', k)}`)
  const out = {}
  let cpuSeconds = 0
  for (const contender of contenders) {
    if (contender === 'memory') continue
    const seeded = await startServer({ mode: 'seed', contender, filename: fileOf(contender), n: plan.n }, child)
    cpuSeconds += seeded.cpuSeconds
    log(`  HTTP: ${contender} seeded with ${plan.n.toLocaleString('en-US')} users in ${seeded.seconds.toFixed(1)} s`)
  }
  for (let round = 0; round < plan.rounds; round++) {
    for (const contender of rotated(contenders, round)) {
      const server = await startServer(
        { mode: 'serve', contender, filename: contender === 'memory' ? null : fileOf(contender), synchronous, n: plan.n },
        child,
      )
      try {
        await load(server, { seed: 90000 + round, amount: plan.warm, connections: plan.connections, n: plan.n, cookies })
        await server.mark()
        const measured = await load(server, {
          seed: 91000 + round,
          amount: plan.amount,
          connections: plan.connections,
          n: plan.n,
          cookies,
        })
        const result = await server.stop()
        cpuSeconds += result.cpuSeconds
        const { requests, calls, adapterUs, cpuSeconds: windowCpu } = result.window
        if (requests !== plan.amount || calls !== plan.amount) {
          throw new Error(`${contender}: in the measured window the server counted ${requests} requests and ${calls} getSessionAndUser calls; autocannon sent ${plan.amount}`)
        }
        const entry = (out[contender] ??= { rounds: [] })
        entry.rounds.push({
          rps: measured.rps,
          latency: measured.latency,
          cpuUsPerRequest: (windowCpu * 1e6) / requests,
          adapterUsPerRequest: adapterUs.p50,
          adapterUsMean: adapterUs.mean,
          rssKib: result.rssKib,
        })
        log(`  HTTP round ${round + 1}/${plan.rounds}  ${contender.padEnd(8)} ${Math.round(measured.rps).toLocaleString('en-US')} req/s`)
      } catch (error) {
        server.kill()
        throw error
      }
    }
  }
  for (const contender of contenders) if (contender !== 'memory') removeDb(fileOf(contender))
  for (const entry of Object.values(out)) {
    const pick = (f) => median(entry.rounds.map(f))
    entry.median = {
      rps: pick((r) => r.rps),
      meanMs: pick((r) => r.latency.mean),
      p99Ms: pick((r) => r.latency.p99),
      cpuUsPerRequest: pick((r) => r.cpuUsPerRequest),
      adapterUsPerRequest: pick((r) => r.adapterUsPerRequest),
      adapterUsMean: pick((r) => r.adapterUsMean),
      adapterShare: pick((r) => r.adapterUsPerRequest / r.cpuUsPerRequest),
      rssMiB: pick((r) => r.rssKib) / 1024,
    }
  }
  return { results: out, cpuSeconds }
}

module.exports = { runHttp, HTTP_CONTENDERS }
