#!/usr/bin/env node
'use strict'
/**
 * `node bench/scale-bound.js`: how much of the hot read's slowdown at 1M users is the memory
 * hierarchy rather than any adapter. Raw better-sqlite3 runs the floor's session join on the
 * scale files that `npm run bench -- --keep-data` leaves in bench/.data, first with the page
 * cache every contender gets (16 MiB), then with a 2 GiB cache filled by scanning every table
 * and index first, so that no read reaches the operating system. It prints p50 and p99 of each
 * (µs, 20,000 sessions after 5,000 warm-up reads, the bench's picks), for uniformly random
 * tokens and for the Zipf-like ones of the scale part's realistic-access rows (s = 1.1).
 */

const fs = require('node:fs')
const path = require('node:path')
const { createHash } = require('node:crypto')
const { performance } = require('node:perf_hooks')
const Database = require('better-sqlite3')
const data = require('./lib/data.js')
const { RUST_DEFAULTS } = require('./lib/schema.js')

const DATA = path.join(__dirname, '.data')
const SIZES = [10000, 1000000]

const hash = (token) => createHash('sha256').update(token).digest('hex')

/** The bench's picks (lib/workloads.js runHotRead, round 1): warm-up and measured. */
const ACCESS = {
  uniform: (n) => [data.picks(50001, 5000, n), data.picks(60001, 20000, n)],
  zipf: (n) => [data.zipfPicks(70001, 5000, n, data.ZIPF_S), data.zipfPicks(80001, 20000, n, data.ZIPF_S)],
}

/** p50 and p99 (µs) of the session join on `file`, seeded with `n` users. */
function measure(file, n, warmCache, access) {
  const db = new Database(file, { readonly: true })
  db.pragma(`cache_size = -${warmCache ? 2 * 1024 * 1024 : RUST_DEFAULTS.cacheSizeKib}`)
  if (warmCache) {
    // Every table and index, read once: afterwards each page is in this connection's cache.
    db.prepare('SELECT count(*) FROM sessions WHERE length(session_token_hash) + length(user_id) > 0').get()
    db.prepare('SELECT count(*) FROM users WHERE coalesce(length(id), 0) + coalesce(length(email), 0) + coalesce(length(name), 0) >= 0').get()
    db.prepare('SELECT count(*) FROM users WHERE id > ?').get('')
    db.prepare('SELECT count(*) FROM users WHERE email > ?').get('')
  }
  const join = db.prepare(
    `SELECT s.user_id, s.expires, u.id, u.name, u.email, u.email_verified, u.image, u.extra
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.session_token_hash = ?`,
  )
  const [warmPicks, picks] = ACCESS[access](n)
  for (const k of warmPicks) join.get(hash(data.uuidFor('session', k)))
  const hashes = Array.from(picks, (k) => hash(data.uuidFor('session', k)))
  const latencies = []
  for (const h of hashes) {
    const started = performance.now()
    if (join.get(h) === undefined) throw new Error(`${file}: a seeded session is missing`)
    latencies.push(performance.now() - started)
  }
  db.close()
  latencies.sort((a, b) => a - b)
  const at = (q) => (latencies[Math.floor(q * latencies.length)] * 1000).toFixed(1)
  return { p50: at(0.5), p99: at(0.99) }
}

for (const n of SIZES) {
  const file = path.join(DATA, `scale-${n}.sqlite`)
  if (!fs.existsSync(file)) {
    console.error(`scale-bound: no ${path.relative(process.cwd(), file)}; run \`npm run bench -- --keep-data\` first`)
    process.exit(1)
  }
  for (const access of Object.keys(ACCESS)) {
    for (const warm of [false, true]) {
      const { p50, p99 } = measure(file, n, warm, access)
      const cache = warm ? '2 GiB page cache, filled first' : `${RUST_DEFAULTS.cacheSizeKib / 1024} MiB page cache`
      console.log(`${n.toLocaleString('en-US').padStart(9)} users, ${access.padEnd(7)} tokens, ${cache.padEnd(30)} p50 ${p50.padStart(6)} µs  p99 ${p99.padStart(6)} µs`)
    }
  }
}
