'use strict'
/** Aggregating rounds, checking the targets, and printing text and markdown tables. */

const { SUITE, SCALE } = require('./workloads.js')
const { median } = require('./measure.js')

/** The raw floors: hand-written statements on better-sqlite3 and on node:sqlite. */
const FLOORS = ['floor', 'nsqlite']

/** The better (higher ops/s) of the raw floors measured for workload `key`, or undefined. */
function bestFloor(agg, key) {
  let best
  for (const f of FLOORS) {
    const m = agg[f]?.workloads[key]?.median
    if (m && (!best || m.opsPerSec > best.median.opsPerSec)) best = { contender: f, median: m }
  }
  return best
}

/**
 * Medians over rounds: for each contender and workload, the median of ops/s, of p50 and of
 * p99 (each taken over the rounds separately), and the median peak RSS.
 */
function aggregate(runs) {
  const out = {}
  for (const run of runs) {
    const entry = (out[run.contender] ??= { rounds: 0, rss: [], workloads: {} })
    entry.rounds++
    entry.rss.push(run.rssKib)
    for (const [key, r] of Object.entries(run.results)) {
      const w = (entry.workloads[key] ??= { opsPerSec: [], p50Us: [], p99Us: [] })
      w.opsPerSec.push(r.opsPerSec)
      w.p50Us.push(r.p50Us)
      w.p99Us.push(r.p99Us)
    }
  }
  for (const entry of Object.values(out)) {
    entry.rssMiB = median(entry.rss) / 1024
    for (const w of Object.values(entry.workloads)) {
      w.median = { opsPerSec: median(w.opsPerSec), p50Us: median(w.p50Us), p99Us: median(w.p99Us) }
    }
  }
  return out
}

const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a')
const fmtUs = (x) => (!Number.isFinite(x) ? 'n/a' : x < 100 ? x.toFixed(1) : fmtInt(x))
const fmtRatio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '—')

/**
 * Rows of the main table: one per workload and contender, with its ops/s as a multiple of
 * each of the `baselines` (the default run's: drizzle and the floor).
 */
function suiteRows(agg, contenders, labels, baselines = ['drizzle', 'floor']) {
  const rows = []
  for (const w of SUITE) {
    for (const c of contenders) {
      const m = agg[c]?.workloads[w.key]?.median
      if (!m) continue
      const vs = (other) =>
        m.opsPerSec / (other === 'best' ? bestFloor(agg, w.key)?.median.opsPerSec : agg[other]?.workloads[w.key]?.median.opsPerSec)
      rows.push([
        w.label,
        labels[c],
        `${fmtInt(m.opsPerSec)} ${w.unit}`,
        fmtUs(m.p50Us),
        fmtUs(m.p99Us),
        ...baselines.map((b) => fmtRatio(vs(b))),
      ])
    }
  }
  return rows
}

const SUITE_HEADER = ['workload', 'adapter', 'throughput (median)', 'p50 µs', 'p99 µs', 'vs drizzle', 'vs floor', 'vs node:sqlite floor', 'vs better floor']

function rssRows(agg, contenders, labels, baseline = 'floor') {
  return contenders
    .filter((c) => agg[c])
    .map((c) => [labels[c], `${agg[c].rssMiB.toFixed(1)} MiB`, fmtRatio(agg[c].rssMiB / agg[baseline]?.rssMiB)])
}

const RSS_HEADER = ['adapter', 'peak RSS (median of rounds)', 'vs floor']

/** Rows of the scale table: the hot read at each seeded size, per access pattern (SCALE). */
function scaleRows(scale, labels) {
  const rows = []
  for (const [size, agg] of Object.entries(scale)) {
    for (const w of SCALE) {
      for (const [c, entry] of Object.entries(agg)) {
        const m = entry.workloads[w.key]?.median
        if (!m) continue
        rows.push([fmtInt(Number(size)), w.access, labels[c], `${fmtInt(m.opsPerSec)} ops/s`, fmtUs(m.p50Us), fmtUs(m.p99Us)])
      }
    }
  }
  return rows
}

const SCALE_HEADER = ['seeded users', 'tokens, calls', 'adapter', 'getSessionAndUser', 'p50 µs', 'p99 µs']

/**
 * Median over rounds of a / b, where a and b are `field` of contenders `a` and `b` measured in
 * the same round (rounds are interleaved, so a slow phase of the machine hits both of a pair).
 */
function pairedRatio(http, a, b, field) {
  const ra = http[a]?.rounds ?? []
  const rb = http[b]?.rounds ?? []
  return median(ra.slice(0, rb.length).map((r, i) => field(r) / field(rb[i])))
}

/**
 * Rows of the HTTP table (lib/http.js): per contender, requests/s of GET /auth/session (median
 * of rounds), as a multiple of the floor's and drizzle's (median of the per-round ratios), the
 * server process's CPU time per request, the median getSessionAndUser call timed inside the
 * server and its share of that CPU time (an upper bound: the null adapter's figure is the
 * timing's own floor), the adapter's share against the null adapter's throughput,
 * client-side latency, and the server's peak RSS.
 */
function httpRows(http, labels) {
  const rows = []
  const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—')
  for (const c of ['rust', 'floor', 'drizzle', 'memory']) {
    const m = http[c]?.median
    if (!m) continue
    const rps = (r) => r.rps
    rows.push([
      labels[c],
      `${fmtInt(m.rps)} req/s`,
      fmtRatio(pairedRatio(http, c, 'floor', rps)),
      fmtRatio(pairedRatio(http, c, 'drizzle', rps)),
      fmtInt(m.cpuUsPerRequest),
      fmtUs(m.adapterUsPerRequest),
      pct(m.adapterShare),
      c === 'memory' ? '(reference)' : pct(1 - pairedRatio(http, c, 'memory', rps)),
      m.meanMs.toFixed(1),
      fmtInt(m.p99Ms),
      `${m.rssMiB.toFixed(1)} MiB`,
    ])
  }
  return rows
}

const HTTP_HEADER = [
  'GET /auth/session, Express + @auth/express',
  'throughput (median)',
  'vs floor',
  'vs drizzle',
  'server CPU µs / request',
  'getSessionAndUser µs (median, in the server)',
  'adapter share of server CPU (at most)',
  'adapter share by req/s vs null adapter',
  'mean latency ms',
  'p99 ms',
  'server peak RSS',
]

/** Cold start rows: median (and min) ms from process start to the first answer, per file state. */
function coldRows(cold, labels) {
  const rows = []
  for (const state of ['new', 'existing']) {
    for (const [c, entry] of Object.entries(cold)) {
      const e = entry[state]
      if (!e) continue
      const ms = median(e.ms)
      const vsNs = cold.nsqlite?.[state] ? ms / median(cold.nsqlite[state].ms) : NaN
      const vsFloor = cold.floor?.[state] ? ms / median(cold.floor[state].ms) : NaN
      rows.push([
        state === 'new' ? 'new file (schema created)' : 'existing file',
        labels[c],
        median(e.ms).toFixed(1),
        Math.min(...e.ms).toFixed(1),
        median(e.startMs).toFixed(1),
        median(e.loadMs).toFixed(1),
        fmtRatio(vsFloor),
        fmtRatio(vsNs),
      ])
    }
  }
  return rows
}

const COLD_HEADER = ['cold start: process start → first getSessionAndUser answered', 'adapter', 'median ms', 'min ms', 'script ran at, ms', 'module loaded at, ms', 'vs floor', 'vs node:sqlite floor']

/**
 * The targets of issue 22, each with its measured value and PASS / FAIL / SKIP (SKIP: not
 * measured by this run, with the reason). "The better floor" is the faster of the raw floors
 * measured in the run (node:sqlite only where the Node.js has it).
 */
function targets(agg, scale, cold = {}, http = {}, notes = {}) {
  const ops = (c, key) => agg[c]?.workloads[key]?.median.opsPerSec
  const vsBest = (key) => ops('rust', key) / bestFloor(agg, key)?.median.opsPerSec
  const p99VsBest = (key) => agg.rust?.workloads[key]?.median.p99Us / bestFloor(agg, key)?.median.p99Us
  const coldVs = (state) => median(cold.rust?.[state]?.ms ?? []) / median(cold.nsqlite?.[state]?.ms ?? [])
  const list = [
    ['getSessionAndUser, one call per event-loop turn', vsBest('readTurn'), 1.2, 'x better floor ops/s', '>='],
    ['getUserByEmail, one call per event-loop turn', vsBest('byEmailTurn'), 1.2, 'x better floor ops/s', '>='],
    ['getUserByAccount, one call per event-loop turn', vsBest('byAccountTurn'), 1.2, 'x better floor ops/s', '>='],
    ['GET /auth/session end to end (Express, autocannon), req/s', pairedRatio(http, 'rust', 'floor', (r) => r.rps), 1.0, 'x floor (median of per-round ratios)', '>=', notes.http ?? 'HTTP part not run'],
    ['(information) GET /auth/session, server CPU time per request', pairedRatio(http, 'rust', 'floor', (r) => r.cpuUsPerRequest), Infinity, 'x floor (median of per-round ratios)', 'info', notes.http ?? 'HTTP part not run'],
    ['(information) GET /auth/session, RustAdapter\'s share of the server\'s CPU time per request', http.rust?.median.adapterShare * 100, Infinity, '% at most (median getSessionAndUser ÷ CPU per request)', 'info', notes.http ?? 'HTTP part not run'],
    ['session write mix, sequential', vsBest('mix'), 1.0, 'x better floor ops/s', '>='],
    ['session write mix, sequential, p99', p99VsBest('mix'), 1.5, 'x better floor p99', '<='],
    ['token pair, sequential', vsBest('tokens'), 1.0, 'x better floor ops/s', '>='],
    ['token pair, sequential, p99', p99VsBest('tokens'), 1.5, 'x better floor p99', '<='],
    ['sign-up chain, sequential', vsBest('signup'), 1.0, 'x better floor ops/s', '>='],
    ['sign-up chain, sequential, p99', p99VsBest('signup'), 1.5, 'x better floor p99', '<='],
    ['getSessionAndUser, 64 in flight', vsBest('read64'), 1.3, 'x better floor ops/s', '>='],
    ['session write mix, 64 in flight', vsBest('mix64'), 2.0, 'x better floor ops/s', '>='],
    ['cold start, new file', coldVs('new'), 1.0, 'x node:sqlite floor time', '<=', cold.rust ? 'no node:sqlite floor on this Node.js' : 'cold start not run'],
    ['cold start, existing file', coldVs('existing'), 1.0, 'x node:sqlite floor time', '<=', cold.rust ? 'no node:sqlite floor on this Node.js' : 'cold start not run'],
    ['peak RSS', agg.rust?.rssMiB / agg.floor?.rssMiB, 1.05, 'x floor', '<='],
  ]
  const p99Growth = (key) => scale[1000000]?.rust?.workloads[key]?.median.p99Us / scale[10000]?.rust?.workloads[key]?.median.p99Us
  const noScale = notes.scale ?? 'needs the scale part at 10k and 1M users'
  list.push(['hot read p99 at 1M users vs 10k, Zipf-like tokens (s = 1.1), one call per event-loop turn', p99Growth('zipfTurn'), 1.5, 'x (p99 1M / p99 10k)', '<=', noScale])
  list.push(['hot read p99 at 1M users vs 10k, Zipf-like tokens (s = 1.1), sequential', p99Growth('zipf'), 1.5, 'x (p99 1M / p99 10k)', '<=', noScale])
  list.push(['(information) hot read p99 at 1M vs 10k, uniform tokens, sequential', p99Growth('read'), Infinity, 'x (p99 1M / p99 10k)', 'info', noScale])
  list.push(['PostgreSQL getSessionAndUser, sequential', NaN, 1.0, 'x pg-floor', '>=', 'measured by --backend postgres'])
  return {
    rows: list.map(([name, value, bound, unit, op, why]) => {
      const measured = Number.isFinite(value)
      // More decimals while fewer would round onto the bound (1.296 shown as 1.30 next to
      // ">= 1.3", or 0.9996 as 1.000 next to ">= 1" with a FAIL).
      let digits = 2
      while (Number.isFinite(bound) && value !== bound && Number(value.toFixed(digits)) === bound && digits < 6) digits++
      const shown = measured ? `${value.toFixed(digits)}${/^[x%]/.test(unit) ? unit : ' ' + unit}` : `not measured${why ? ` (${why})` : ''}`
      if (op === 'info') return ['INFO', name, shown, '—']
      const verdict = !measured ? 'SKIP' : (op === '>=' ? value >= bound : value <= bound) ? 'PASS' : 'FAIL'
      return [verdict, name, shown, `${op} ${bound}`]
    }),
  }
}

const TARGET_HEADER = ['', 'target (RustAdapter)', 'measured', 'needed']

/** The `--backend postgres` run's main table: its columns compare with the pg floor and SQLite. */
const PG_SUITE_HEADER = ['workload', 'adapter', 'throughput (median)', 'p50 µs', 'p99 µs', 'vs pg-floor', 'vs RustAdapter (SQLite)']
const PG_BASELINES = ['pg-floor', 'rust-sqlite']

/** What one op of a workload is, for "time per op" (SUITE's units: users/s, ops/s, pairs/s). */
const perOp = (unit) => ({ 'users/s': 'user', 'ops/s': 'call', 'pairs/s': 'pair' })[unit] ?? 'op'

/**
 * The `--backend postgres` run's ratios, one row per workload: RustAdapter on PostgreSQL
 * against the pg floor (ops/s), and the time per op (1 / median ops/s, so with 64 in flight it
 * is the amortised time, not the latency) of RustAdapter on PostgreSQL and on SQLite, with
 * their quotient: how many times SQLite's time per call PostgreSQL costs.
 */
function backendRows(agg) {
  const ops = (c, key) => agg[c]?.workloads[key]?.median.opsPerSec
  const rows = []
  const costs = {}
  for (const w of SUITE) {
    const pg = ops('rust-postgres', w.key)
    const floor = ops('pg-floor', w.key)
    const sqlite = ops('rust-sqlite', w.key)
    if (!Number.isFinite(pg) && !Number.isFinite(sqlite)) continue
    const us = (x) => (Number.isFinite(x) ? `${fmtUs(1e6 / x)} µs/${perOp(w.unit)}` : 'n/a')
    costs[w.key] = sqlite / pg
    rows.push([w.label, fmtRatio(pg / floor), us(pg), us(sqlite), fmtRatio(sqlite / pg)])
  }
  return { rows, costs }
}

const BACKEND_HEADER = [
  'workload',
  'RustAdapter (PostgreSQL) vs pg-floor, ops/s',
  'time per op, PostgreSQL',
  'time per op, SQLite',
  'PostgreSQL time per op ÷ SQLite',
]

/** A plain-text table with aligned columns. */
function textTable(header, rows) {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)))
  const line = (r) => r.map((cell, i) => String(cell).padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** A markdown table. */
function mdTable(header, rows) {
  const esc = (cell) => String(cell).replace(/\|/g, '\\|')
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

module.exports = {
  aggregate,
  suiteRows,
  SUITE_HEADER,
  rssRows,
  RSS_HEADER,
  scaleRows,
  SCALE_HEADER,
  httpRows,
  HTTP_HEADER,
  pairedRatio,
  targets,
  TARGET_HEADER,
  coldRows,
  COLD_HEADER,
  bestFloor,
  PG_SUITE_HEADER,
  PG_BASELINES,
  backendRows,
  BACKEND_HEADER,
  textTable,
  mdTable,
  fmtInt,
  fmtRatio,
}
