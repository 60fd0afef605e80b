#!/usr/bin/env node
'use strict'
/**
 * `node bench/probe.js`: where RustAdapter's time goes, next to the floor, call by call.
 * Variants that isolate one cost each (all sequential, µs per call, median of 5 passes):
 *
 * - reads that hit vs miss (a miss builds no JavaScript object: the difference is the cost of
 *   building the result), and RustAdapter's native function called directly (without the
 *   index.js wrapper that turns the value into a Promise);
 * - a write that changes nothing (deleteSession of an unknown token: no WAL frame, no fsync),
 *   which leaves only the path of a write: for RustAdapter (a lone write, run inline on this
 *   thread) its BEGIN IMMEDIATE/COMMIT around the statement; for the floor, one autocommit
 *   statement;
 * - createSession + deleteSession with synchronous FULL and NORMAL (the fsync share).
 *
 * Uses the release binary the last `npm run bench` copied to bench/.data, or the one named
 * by NAPI_RS_NATIVE_LIBRARY_PATH (for comparing builds).
 */

const fs = require('node:fs')
const path = require('node:path')
const { performance } = require('node:perf_hooks')

const DATA = path.join(__dirname, '.data')
process.env.NAPI_RS_NATIVE_LIBRARY_PATH ??= path.join(DATA, 'authjs-rust-adapter.release.node')
if (!fs.existsSync(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)) {
  console.error('probe: no release binary yet; run `npm run bench -- --quick` first')
  process.exit(1)
}

const { CONTENDERS, ROOT } = require('./lib/contenders.js')
const { seedRustFile } = require('./lib/seed.js')
const data = require('./lib/data.js')
const { median } = require('./lib/measure.js')

const N_USERS = 10000
const CALLS = Number(process.env.PROBE_CALLS || 20000)
const WRITE_CALLS = Number(process.env.PROBE_WRITE_CALLS || 1000)

/** µs per call of `call(i)` over `count` sequential calls: median of 5 passes after a warm-up. */
async function perCall(count, call) {
  for (let i = 0; i < Math.min(count, 2000); i++) await call(i)
  const passes = []
  for (let p = 0; p < 5; p++) {
    const t = performance.now()
    for (let i = 0; i < count; i++) await call(p * count + i)
    passes.push(((performance.now() - t) / count) * 1000)
  }
  return median(passes)
}

async function main() {
  fs.mkdirSync(DATA, { recursive: true })
  const file = path.join(DATA, 'probe.sqlite')
  await seedRustFile(file, N_USERS)
  const picks = data.picks(42, CALLS, N_USERS)
  const tokens = Array.from(picks, (k) => data.uuidFor('session', k))
  const pick = (i) => picks[i % CALLS]
  const rows = []
  const row = (what, rust, floor) => rows.push([what, rust, floor])

  // Reads on one bulk-seeded file, both contenders open at once (read-only work).
  const rust = await CONTENDERS.rust.open(file, { synchronous: 'full' })
  const floor = await CONTENDERS.floor.open(file, { synchronous: 'full' })
  const native = require(path.join(ROOT, 'native.js'))
  const { assembleSessionAndUser } = require(path.join(ROOT, 'lib', 'assemble.js'))
  const store = native.openStore({ filename: file })
  const both = async (what, call) => row(what, await perCall(CALLS, (i) => call(rust.adapter, i)), await perCall(CALLS, (i) => call(floor.adapter, i)))

  await both('getSessionAndUser, hit', (a, i) => a.getSessionAndUser(tokens[i % CALLS]))
  row('getSessionAndUser, hit, native function without the Promise wrapper', await perCall(CALLS, (i) => native.getSessionAndUser(store, tokens[i % CALLS], assembleSessionAndUser)), NaN)
  await both('getSessionAndUser, miss (no object built)', (a, i) => a.getSessionAndUser(`missing-${i}`))
  await both('getUserByAccount, hit', (a, i) => a.getUserByAccount({ provider: 'github', providerAccountId: String(100000000 + pick(i)) }))
  await both('getUserByAccount, miss', (a, i) => a.getUserByAccount({ provider: 'github', providerAccountId: `missing-${i}` }))
  await both('getUserByEmail, hit', (a, i) => a.getUserByEmail(`user${pick(i)}@example.com`))
  await both('getUserByEmail, miss', (a, i) => a.getUserByEmail(`missing-${i}@example.com`))
  await native.close(store)
  await rust.close()
  await floor.close()

  // Writes: each contender alone on its own copy of the file.
  for (const synchronous of ['full', 'normal']) {
    const results = {}
    for (const name of ['rust', 'floor']) {
      const copy = path.join(DATA, `probe-${name}.sqlite`)
      fs.copyFileSync(file, copy)
      const { adapter, close } = await CONTENDERS[name].open(copy, { synchronous })
      const expires = new Date(data.EXPIRES_MS)
      const userId = data.uuidFor('user', 1)
      results[name] = {
        noop: await perCall(WRITE_CALLS, (i) => adapter.deleteSession(`missing-${i}`)),
        pair: await perCall(WRITE_CALLS, async (i) => {
          const sessionToken = `probe-${synchronous}-${i}`
          await adapter.createSession({ sessionToken, userId, expires })
          await adapter.deleteSession(sessionToken)
        }),
      }
      await close()
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true })
    }
    const s = synchronous.toUpperCase()
    row(`write that changes nothing (deleteSession, unknown token), ${s}`, results.rust.noop, results.floor.noop)
    row(`createSession + deleteSession, ${s}`, results.rust.pair, results.floor.pair)
  }
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true })

  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—')
  const header = ['variant (sequential)', 'RustAdapter µs', 'floor µs', 'difference µs']
  const table = rows.map(([what, r, f]) => [what, fmt(r), fmt(f), fmt(r - f)])
  const widths = header.map((_, i) => Math.max(...[header, ...table].map((r) => r[i].length)))
  for (const r of [header, widths.map((w) => '-'.repeat(w)), ...table]) {
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
  }
  console.log(`\nbinary: ${process.env.NAPI_RS_NATIVE_LIBRARY_PATH}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
