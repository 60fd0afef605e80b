'use strict'
/**
 * `npm run bench -- --backend postgres`: RustAdapter on PostgreSQL against a hand-written
 * node-postgres floor (pg-floor.js), with RustAdapter on SQLite in the same rounds, so the
 * report can say what a call costs on each backend measured side by side.
 *
 * The server: a throwaway cluster started with scripts/postgres-cluster.js (stopped and
 * removed at the end, also on errors and on SIGINT / SIGTERM / SIGHUP), or the server named by
 * AUTHJS_BENCH_PG_URL, which is used as it is (only the bench's own schemas are created there,
 * and dropped again).
 *
 * Rounds are interleaved as in the default run: in each round every contender runs the whole
 * suite in its own child process, the PostgreSQL ones each in a fresh schema (dropped when the
 * job ends), RustAdapter on SQLite on a fresh file. The 1M-user scale part is left out (the
 * full run's suite already reads a 10k-user database).
 */

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

/** The contenders of this run, in report order. */
const PG_ALL = ['rust-postgres', 'pg-floor', 'rust-sqlite']

/** A URL without its password, for the report. */
function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/** Busy CPU seconds of a process, its reaped children included (utime, stime, cutime, cstime). */
function procCpu(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ') // f[0] is field 3 (state)
  return { ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) / 100, children: (Number(f[13]) + Number(f[14])) / 100 }
}

/**
 * CPU seconds the local server has used so far: the postmaster with every backend it has
 * reaped (connections that closed), plus the processes still running under it. Null when the
 * server is not ours (AUTHJS_BENCH_PG_URL) or /proc cannot tell.
 */
function serverCpuSeconds(cluster) {
  if (!cluster) return null
  try {
    const pid = Number(fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    const main = procCpu(pid)
    let total = main.self + main.children
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const p = procCpu(entry)
        if (p.ppid === pid) total += p.self + p.children
      } catch {
        // the process ended meanwhile
      }
    }
    return total
  } catch {
    return null
  }
}

/**
 * Runs the whole postgres benchmark.
 * @param ctx what run.js shares: args, PLAN, quick, synchronous, concurrency, log, runJob,
 *   killChildren, removeDb, rotated, ROOT, BENCH, DATA, releaseBinary, started
 */
async function runPostgres(ctx) {
  const { args, PLAN, quick, synchronous, concurrency, log, runJob, removeDb, rotated, ROOT, BENCH, DATA } = ctx
  const contenders = args.only ? String(args.only).split(',') : PG_ALL
  for (const c of contenders) {
    if (!PG_ALL.includes(c)) throw new Error(`unknown contender ${c} for --backend postgres (known: ${PG_ALL.join(', ')})`)
  }
  const { CONTENDERS } = require('./contenders.js')
  const report = require('./report.js')
  const { startLoadMonitor, describe } = require('./machine.js')
  const { startCluster, stopCluster } = require(path.join(ROOT, 'scripts', 'postgres-cluster.js'))
  const pg = require('pg')
  const { quote, POOL_SIZE } = require('./pg-floor.js')
  const labels = Object.fromEntries(PG_ALL.map((c) => [c, CONTENDERS[c].label]))

  // Cleanup, whichever way the run ends: schemas this run created and did not drop yet (they
  // matter on a server of AUTHJS_BENCH_PG_URL), then the throwaway cluster.
  const state = { cluster: null, admin: null, schemas: new Set(), done: false }
  const stopClusterNow = () => {
    if (state.cluster && !state.done) {
      state.done = true
      stopCluster(state.cluster) // synchronous inside (pg_ctl -m immediate stop, rm -r)
    }
  }
  const dropSchema = async (schema) => {
    await state.admin.query(`DROP SCHEMA IF EXISTS ${quote(schema)} CASCADE`)
    state.schemas.delete(schema)
  }
  const dropLeftovers = async () => {
    if (!state.admin) return
    for (const schema of [...state.schemas]) {
      try {
        await dropSchema(schema)
      } catch (e) {
        log(`bench: could not drop schema ${schema}: ${e.message}`)
      }
    }
  }
  const onSignal = (signal) => {
    log(`bench: ${signal}, stopping`)
    ctx.killChildren()
    const timeout = new Promise((resolve) => setTimeout(resolve, 5000).unref())
    const drop = state.cluster ? Promise.resolve() : Promise.race([dropLeftovers(), timeout])
    drop.finally(() => {
      stopClusterNow()
      process.exit(128 + (os.constants.signals[signal] || 1))
    })
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP']
  for (const s of signals) process.on(s, onSignal)
  process.on('exit', stopClusterNow)

  try {
    let url = process.env.AUTHJS_BENCH_PG_URL
    if (url) {
      log(`bench: using the PostgreSQL server of AUTHJS_BENCH_PG_URL (${redact(url)})`)
    } else {
      log('bench: starting a throwaway PostgreSQL cluster (scripts/postgres-cluster.js)')
      state.cluster = await startCluster()
      url = state.cluster.url
      log(`  ${state.cluster.url}, data in ${state.cluster.root}`)
    }
    state.admin = new pg.Client({ connectionString: url })
    await state.admin.connect()
    const server = (
      await state.admin.query(
        `SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
                current_setting('synchronous_commit') AS synchronous_commit,
                current_setting('full_page_writes') AS full_page_writes,
                current_setting('shared_buffers') AS shared_buffers`,
      )
    ).rows[0]
    server.where = state.cluster
      ? `throwaway cluster started by scripts/postgres-cluster.js on this machine, reached over TCP on 127.0.0.1 (${redact(url)})`
      : `AUTHJS_BENCH_PG_URL (${redact(url)})`

    const env = describe(ROOT, BENCH)
    env.releaseBinary = `${(ctx.releaseBinary.bytes / 2 ** 20).toFixed(1)} MiB, built ${ctx.releaseBinary.builtAt}`
    env.nodePostgres = JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules', 'pg', 'package.json'), 'utf8')).version
    env.server = server
    env.poolSize = POOL_SIZE

    const monitor = startLoadMonitor()
    const serverCpuStart = serverCpuSeconds(state.cluster)
    let childCpu = 0
    const cpuProf = Boolean(args['cpu-prof'])
    log(
      `bench: postgres ${quick ? 'QUICK' : 'full'} run, N=${PLAN.n} users, ${PLAN.rounds} rounds, PostgreSQL ${server.version} ` +
        `(fsync=${server.fsync}, synchronous_commit=${server.synchronous_commit}), SQLite synchronous=${synchronous.toUpperCase()}, ` +
        `${env.cores} cores, load average ${os.loadavg()[0].toFixed(2)}`,
    )

    const suiteRuns = []
    // Schema names: unique to this run (a shared server may hold another's), at most 40 chars.
    const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`
    for (let round = 0; round < PLAN.rounds; round++) {
      for (const contender of rotated(contenders, round)) {
        const t = Date.now()
        const job = { kind: 'suite', contender, n: PLAN.n, round, concurrency, ops: PLAN.ops, warm: PLAN.warm }
        if (contender === 'rust-sqlite') {
          Object.assign(job, { filename: path.join(DATA, `suite-${contender}.sqlite`), synchronous })
        } else {
          Object.assign(job, { url, schema: `bench_${tag}_r${round}_${contender.replace(/-/g, '_')}` })
          state.schemas.add(job.schema)
        }
        const result = await runJob(job, { cpuProf })
        if (job.filename) removeDb(job.filename)
        if (job.schema) {
          await dropSchema(job.schema)
          // Flush what the job dirtied now rather than in the middle of the next one (needs
          // superuser or pg_checkpoint on a server of AUTHJS_BENCH_PG_URL; skipped without).
          await state.admin.query('CHECKPOINT').catch(() => {})
        }
        childCpu += result.cpuSeconds
        suiteRuns.push({ contender, round, ...result })
        log(`  round ${round + 1}/${PLAN.rounds}  ${labels[contender].padEnd(28)} ${((Date.now() - t) / 1000).toFixed(1)} s`)
      }
    }
    const agg = report.aggregate(suiteRuns)

    const serverCpuEnd = serverCpuSeconds(state.cluster)
    const serverCpu = serverCpuStart !== null && serverCpuEnd !== null ? serverCpuEnd - serverCpuStart : null
    const ownCpu = childCpu + (serverCpu ?? 0) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6
    const load = monitor.stop(ownCpu)
    load.serverCores = serverCpu === null ? null : serverCpu / load.wallSeconds

    // Output.
    const order = PG_ALL.filter((c) => contenders.includes(c))
    const suiteTable = report.suiteRows(agg, order, labels, report.PG_BASELINES)
    const rss = report.rssRows(agg, order, labels, 'pg-floor')
    const backend = report.backendRows(agg)
    const summary = summaryLines(agg, backend.costs, report)
    const loadNote =
      `Machine load during the run: ${load.machineBusyCores.toFixed(2)} of ${env.cores} cores busy on average, ` +
      `${load.benchCores.toFixed(2)} of them the benchmark's measured processes` +
      (load.serverCores === null
        ? ' (not counting the PostgreSQL server, whose CPU time is not visible to the benchmark)'
        : ` (${load.serverCores.toFixed(2)} of those the PostgreSQL server)`) +
      `, ${load.otherCores.toFixed(2)} other processes (1-min load average ${load.loadavgMin.toFixed(2)}–${load.loadavgMax.toFixed(2)}).`
    const busy = load.otherCores >= 0.15
    const durability =
      `PostgreSQL ran with fsync=${server.fsync}, synchronous_commit=${server.synchronous_commit}; ` +
      `SQLite with synchronous=${synchronous.toUpperCase()}` +
      (server.fsync === 'off' || server.synchronous_commit === 'off'
        ? ': PostgreSQL commits did not wait for the disk, SQLite ones did, so write workloads favour PostgreSQL.'
        : '.')

    log()
    log(report.textTable(report.PG_SUITE_HEADER, suiteTable))
    log()
    log(report.textTable(['adapter', 'peak RSS of its process (median of rounds)', 'vs pg-floor'], rss))
    log()
    log(report.textTable(report.BACKEND_HEADER, backend.rows))
    log()
    for (const line of summary) log(line)
    log()
    log(durability)
    log(loadNote)
    if (busy) log('Other processes were using the CPU during this run: treat small differences as noise.')
    log(`bench: done in ${((Date.now() - ctx.started) / 1000).toFixed(0)} s`)

    const raw = { backend: 'postgres', plan: PLAN, synchronous, env, load, suiteRuns, agg }
    fs.writeFileSync(path.join(DATA, quick ? 'results-postgres-quick.json' : 'results-postgres.json'), JSON.stringify(raw, null, 1))
    const write = args.write ? true : args['no-write'] ? false : !quick && !args.only && !args.n && !args.rounds
    if (write) {
      const md = require('./markdown.js').renderPostgres({
        PLAN,
        synchronous,
        env,
        loadNote,
        busy,
        durability,
        suiteTable,
        rss,
        backendTable: backend.rows,
        summary,
        report,
        quick,
      })
      const file = path.join(BENCH, 'RESULTS-postgres.md')
      fs.writeFileSync(file, md)
      log(`bench: wrote ${path.relative(ROOT, file)}`)
    }
  } finally {
    await dropLeftovers()
    if (state.admin) await state.admin.end().catch(() => {})
    if (state.cluster && !state.done) {
      state.done = true
      await stopCluster(state.cluster)
      log('bench: stopped and removed the throwaway PostgreSQL cluster')
    }
    for (const s of signals) process.removeListener(s, onSignal)
    process.removeListener('exit', stopClusterNow)
  }
}

/** The headline sentences: RustAdapter on PostgreSQL against the pg floor and against SQLite. */
function summaryLines(agg, costs, report) {
  const { SUITE } = require('./workloads.js')
  const ops = (c, key) => agg[c]?.workloads[key]?.median.opsPerSec
  const lines = []
  const range = (values) => {
    const v = values.filter(Number.isFinite)
    return v.length ? `${report.fmtRatio(Math.min(...v))}–${report.fmtRatio(Math.max(...v))}` : null
  }
  const keys = SUITE.filter((w) => w.key !== 'seed').map((w) => w.key)
  const vsFloor = range(keys.map((k) => ops('rust-postgres', k) / ops('pg-floor', k)))
  if (vsFloor) {
    lines.push(
      `RustAdapter on PostgreSQL reaches ${vsFloor} the ops/s of the raw node-postgres floor over the workloads after seeding` +
        ` (getSessionAndUser sequential: ${report.fmtRatio(ops('rust-postgres', 'read') / ops('pg-floor', 'read'))}).`,
    )
  }
  const cost = range(keys.map((k) => costs[k]))
  if (cost) {
    const at = (key) => report.fmtRatio(costs[key])
    lines.push(
      `PostgreSQL costs ${at('read')} the time per call of SQLite (RustAdapter on each) for getSessionAndUser sequential, ` +
        `${at('read64')} with 64 in flight, ${at('mix')} for sequential session writes, ${at('mix64')} with 64 in flight; ` +
        `${cost} over the workloads after seeding.`,
    )
  }
  return lines
}

module.exports = { runPostgres, PG_ALL }
