'use strict'
/** Aggregating rounds, checking the targets, and printing text and markdown tables. */

const { SUITE } = require('./workloads.js')
const { median } = require('./measure.js')

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
      const vs = (other) => m.opsPerSec / agg[other]?.workloads[w.key]?.median.opsPerSec
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

const SUITE_HEADER = ['workload', 'adapter', 'throughput (median)', 'p50 µs', 'p99 µs', 'vs drizzle', 'vs floor']

function rssRows(agg, contenders, labels, baseline = 'floor') {
  return contenders
    .filter((c) => agg[c])
    .map((c) => [labels[c], `${agg[c].rssMiB.toFixed(1)} MiB`, fmtRatio(agg[c].rssMiB / agg[baseline]?.rssMiB)])
}

const RSS_HEADER = ['adapter', 'peak RSS (median of rounds)', 'vs floor']

/** Rows of the scale table: hot read at each seeded size. */
function scaleRows(scale, labels) {
  const rows = []
  for (const [size, agg] of Object.entries(scale)) {
    for (const [c, entry] of Object.entries(agg)) {
      const m = entry.workloads.read.median
      rows.push([fmtInt(Number(size)), labels[c], `${fmtInt(m.opsPerSec)} ops/s`, fmtUs(m.p50Us), fmtUs(m.p99Us)])
    }
  }
  return rows
}

const SCALE_HEADER = ['seeded users', 'adapter', 'getSessionAndUser, sequential', 'p50 µs', 'p99 µs']

/** The targets of issue 4, each with its measured value and PASS / FAIL / SKIP. */
function targets(agg, scale) {
  const ratio = (key) => agg.rust?.workloads[key]?.median.opsPerSec / agg.floor?.workloads[key]?.median.opsPerSec
  const list = [
    ['getSessionAndUser, sequential', ratio('read'), 1.0, 'x floor ops/s', '>='],
    ['getSessionAndUser, 64 in flight', ratio('read64'), 1.2, 'x floor ops/s', '>='],
    ['getUserByAccount', ratio('byAccount'), 1.0, 'x floor ops/s', '>='],
    ['getUserByEmail', ratio('byEmail'), 1.0, 'x floor ops/s', '>='],
    ['verification token pair', ratio('tokens'), 1.0, 'x floor ops/s', '>='],
    ['session write mix, sequential', ratio('mix'), 1.0, 'x floor ops/s', '>='],
    ['session write mix, 64 in flight', ratio('mix64'), 2.0, 'x floor ops/s', '>='],
  ]
  const small = scale[10000]?.rust?.workloads.read.median.p99Us
  const big = scale[1000000]?.rust?.workloads.read.median.p99Us
  list.push(['hot read p99 at 1M users vs at 10k', big / small, 1.5, 'x (p99 1M / p99 10k)', '<='])
  list.push(['peak RSS', agg.rust?.rssMiB / agg.floor?.rssMiB, 1.1, 'x floor', '<='])
  return {
    rows: list.map(([name, value, bound, unit, op]) => {
      const verdict = !Number.isFinite(value) ? 'SKIP' : (op === '>=' ? value >= bound : value <= bound) ? 'PASS' : 'FAIL'
      return [verdict, name, Number.isFinite(value) ? `${value.toFixed(2)}${unit.startsWith('x') ? unit : ' ' + unit}` : 'not measured', `${op} ${bound}`]
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
  targets,
  TARGET_HEADER,
  PG_SUITE_HEADER,
  PG_BASELINES,
  backendRows,
  BACKEND_HEADER,
  textTable,
  mdTable,
  fmtInt,
  fmtRatio,
}
