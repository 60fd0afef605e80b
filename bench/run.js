#!/usr/bin/env node
'use strict'
/**
 * `npm run bench` (from the repository root): RustAdapter against @auth/drizzle-adapter,
 * @auth/kysely-adapter and a hand-written better-sqlite3 floor.
 *
 * Contenders also include `nsqlite`, the floor's statements on Node.js's built-in `node:sqlite`
 * (where the Node.js running the children has it: not on Node 20, where the run says so).
 *
 * 1. Installs bench/'s own dependencies from bench/package-lock.json when missing (so the
 *    package's own install and tests never pay for better-sqlite3's build).
 * 2. Builds the addon in release mode (`npm run build` at the root).
 * 3. Suite: interleaved rounds; in each round every contender runs the whole suite in its own
 *    child process on its own fresh SQLite file (WAL, same `synchronous`, same seeded data).
 * 4. Scale: the hot read (getSessionAndUser) on bulk-seeded files of 10k and 1M users,
 *    RustAdapter and the floor only, interleaved rounds again: uniformly random tokens
 *    (sequential) and Zipf-like tokens (s = 1.1; sequential and one call per event-loop turn).
 * 5. HTTP (lib/http.js): requests/s of GET /auth/session with a signed-in cookie on the
 *    Express demo stack (@auth/express, database sessions), one server process per contender
 *    (RustAdapter, the floor, drizzle, and a null adapter on JavaScript Maps as the reference
 *    for the adapter's share of a request), load from autocannon, interleaved rounds.
 * 6. Cold start; then prints medians, ratios, peak RSS and the issue-22 targets; a full run
 *    writes bench/RESULTS.md.
 *
 * Options:
 *   --quick               small N, fewer rounds, no 1M file (well under 2 minutes)
 *   --rounds=K --n=N      override rounds / seeded users of the suite
 *   --only=rust,floor     run a subset of contenders
 *   --synchronous=normal  run every contender with synchronous=NORMAL (default: FULL, ours)
 *   --no-scale            skip the scale part
 *   --no-http             skip the HTTP part
 *   --only-http           run only the HTTP part (no suite, scale or cold start)
 *   --only-scale          run only the scale part (uniform and Zipf-like hot reads)
 *   --skip-install --skip-build
 *   --keep-data           keep bench/.data (the 1M file is then reused by the next run)
 *   --write / --no-write  write bench/RESULTS.md, or RESULTS-node<major>.md with --node (default: only a full run writes it)
 *   --cpu-prof            write a V8 CPU profile of every child to bench/.data/prof
 *   --node=24             run the children on Node.js 24 (fetched from the npm registry into the
 *                         cache scripts/node-matrix.js uses; better-sqlite3 built for it there)
 *   --no-cold             skip the cold-start part
 *   --backend postgres    the PostgreSQL run instead (lib/postgres-run.js), see below
 *
 * `--backend postgres` (also `--backend=postgres`): RustAdapter on PostgreSQL
 * (`rust-postgres`), a hand-written node-postgres floor on the same tables (`pg-floor`,
 * lib/pg-floor.js) and RustAdapter on SQLite exactly as above (`rust-sqlite`), in interleaved
 * rounds, the PostgreSQL contenders each on a fresh schema. Same workloads; no drizzle/kysely
 * and no scale part. The server is a throwaway cluster from scripts/postgres-cluster.js,
 * stopped and removed at the end (also on errors and SIGINT), or the one AUTHJS_BENCH_PG_URL
 * names (used as it is; only the bench's own schemas are created there and dropped). Reports
 * ops/s, RustAdapter on PostgreSQL against the floor, and PostgreSQL's time per call against
 * SQLite's. `--quick`, `--rounds`, `--n`, `--only=rust-postgres,pg-floor,rust-sqlite`,
 * `--synchronous` (the SQLite contender), `--skip-install`, `--skip-build`, `--cpu-prof` and
 * `--write` / `--no-write` apply; it writes bench/RESULTS-postgres.md (never RESULTS.md).
 */

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { fork, spawnSync } = require('node:child_process')

const BENCH = __dirname
const ROOT = path.resolve(BENCH, '..')
const DATA = path.join(BENCH, '.data')

/** Every option, as `node:util`'s `parseArgs` reads them: an unknown one is an error, not a run. */
const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  quick: { type: 'boolean' },
  rounds: { type: 'string' },
  n: { type: 'string' },
  only: { type: 'string' },
  synchronous: { type: 'string' },
  'no-scale': { type: 'boolean' },
  'no-http': { type: 'boolean' },
  'no-cold': { type: 'boolean' },
  'only-http': { type: 'boolean' },
  'only-scale': { type: 'boolean' },
  'skip-install': { type: 'boolean' },
  'skip-build': { type: 'boolean' },
  'keep-data': { type: 'boolean' },
  write: { type: 'boolean' },
  'no-write': { type: 'boolean' },
  'cpu-prof': { type: 'boolean' },
  node: { type: 'string' },
  backend: { type: 'string' },
}

/** This file's header comment (what the bench does, then its options), for `--help`. */
function usage() {
  const header = fs.readFileSync(__filename, 'utf8').split('*/')[0]
  return header
    .split('\n')
    .slice(3)
    .map((line) => line.replace(/^ \* ?/, ''))
    .join('\n')
    .trim()
}

let args
try {
  args = require('node:util').parseArgs({ args: process.argv.slice(2), options: OPTIONS, strict: true }).values
} catch (error) {
  process.stderr.write(`bench: ${error.message}\nbench: \`npm run bench -- --help\` lists the options\n`)
  process.exit(2)
}
if (args.help) {
  process.stdout.write(`${usage()}\n`)
  process.exit(0)
}
const quick = Boolean(args.quick)
const backend = args.backend ?? 'sqlite'
if (!['sqlite', 'postgres'].includes(backend)) {
  process.stderr.write(`bench: unknown --backend ${backend} (known: sqlite, the default, and postgres)\n`)
  process.exit(2)
}

/** Sizes of a run. Ops are per measured pass; write-mix counts are chains of 3 calls. */
const PLAN = quick
  ? {
      n: 1000,
      rounds: 2,
      ops: { read: 5000, lookup: 5000, mix: 200, mix64: 400, tokens: 200, signup: 200 },
      warm: { read: 500, write: 30 },
      coldRounds: 3,
      coldUsers: 200,
      scaleSizes: [10000],
      scaleRounds: 2,
      scaleOps: 5000,
      scaleWarm: 1000,
      http: { n: 1000, rounds: 2, amount: 800, warm: 200, connections: 10 },
    }
  : {
      n: 10000,
      rounds: 5,
      ops: { read: 20000, lookup: 20000, mix: 1000, mix64: 2000, tokens: 1000, signup: 1000 },
      warm: { read: 2000, write: 100 },
      coldRounds: 9,
      coldUsers: 10000,
      scaleSizes: [10000, 1000000],
      scaleRounds: 5,
      scaleOps: 20000,
      scaleWarm: 5000,
      http: { n: 10000, rounds: 5, amount: 5000, warm: 1000, connections: 10 },
    }
if (args.n) PLAN.n = Number(args.n)
if (args.rounds) PLAN.rounds = PLAN.scaleRounds = PLAN.http.rounds = Number(args.rounds)
if (args['only-http'] && args['only-scale']) {
  process.stderr.write('bench: --only-http and --only-scale exclude each other\n')
  process.exit(2)
}
/** Which parts run: the suite, the scale part, the HTTP part, cold start. */
const PARTS = args['only-http']
  ? { suite: false, scale: false, http: true, cold: false }
  : args['only-scale']
    ? { suite: false, scale: true, http: false, cold: false }
    : { suite: true, scale: !args['no-scale'], http: !args['no-http'], cold: !args['no-cold'] }
if (!PARTS.scale) PLAN.scaleSizes = []

const ALL = ['rust', 'drizzle', 'kysely', 'floor', 'nsqlite']
let contenders = args.only ? String(args.only).split(',') : ALL
const synchronous = args.synchronous ?? 'full'
const CONCURRENCY = 64

const log = (line = '') => process.stdout.write(`${line}\n`)

function run(cmd, cmdArgs, cwd) {
  const r = spawnSync(cmd, cmdArgs, { cwd, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`${cmd} ${cmdArgs.join(' ')} failed in ${cwd} (exit ${r.status})`)
}

/** Installs bench/ dependencies from its lockfile unless every one of them is there. */
function ensureDependencies() {
  const pkg = JSON.parse(fs.readFileSync(path.join(BENCH, 'package.json'), 'utf8'))
  const missing = Object.keys(pkg.dependencies).filter(
    (dep) => !fs.existsSync(path.join(BENCH, 'node_modules', dep, 'package.json')),
  )
  if (!fs.existsSync(path.join(BENCH, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))) {
    missing.push('better-sqlite3 (native build)')
  }
  if (missing.length === 0) return
  log(`bench: installing bench dependencies (${missing.join(', ')}); better-sqlite3 builds from source, ~2 min`)
  const lock = fs.existsSync(path.join(BENCH, 'package-lock.json'))
  run('npm', [lock ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'], BENCH)
}

/**
 * The release binary the children load. `npm run build` leaves it in cargo's release folder
 * and copies it over the package root's .node file, but other work in the same tree (a debug
 * `napi build`, a test run) may replace that root file at any moment. So the bench copies the
 * release artifact aside right after building and points the napi loader at the copy
 * (NAPI_RS_NATIVE_LIBRARY_PATH): every child of a run loads the same release build, while
 * index.js, load.js and native.js are the package's own.
 */
function snapshotReleaseBinary() {
  const candidates = ['x86_64-unknown-linux-gnu/release', 'release']
    .map((dir) => path.join(ROOT, 'target', dir, 'libauthjs_rust_adapter.so'))
    .filter((file) => fs.existsSync(file))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  if (candidates.length === 0) throw new Error('no release build found under target/: run without --skip-build')
  const copy = path.join(DATA, 'authjs-rust-adapter.release.node')
  fs.copyFileSync(candidates[0], copy)
  const stat = fs.statSync(candidates[0])
  return { path: copy, bytes: stat.size, builtAt: stat.mtime.toISOString() }
}

let releaseBinary

/** What the children run on: this Node.js, or the one `--node` names (lib/node-versions.js). */
let runtime = { execPath: process.execPath, env: {}, version: process.versions.node }

/** Child processes running now (killed when a postgres run is interrupted). */
const children = new Set()

/** Runs one job in a child process; resolves to what the child sent back. */
function runJob(job, { cpuProf = false } = {}) {
  const execArgv = ['--expose-gc']
  if (cpuProf) {
    fs.mkdirSync(path.join(DATA, 'prof'), { recursive: true })
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.join(DATA, 'prof')}`, `--cpu-prof-name=${job.kind}-${job.contender ?? 'seed'}-${job.round ?? 0}-${Date.now()}.cpuprofile`)
  }
  return new Promise((resolve, reject) => {
    const child = fork(path.join(BENCH, 'worker.js'), [JSON.stringify(job)], {
      execArgv,
      execPath: runtime.execPath,
      env: { ...process.env, ...runtime.env, NAPI_RS_NATIVE_LIBRARY_PATH: releaseBinary.path },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    children.add(child)
    let outcome
    child.on('message', (m) => {
      if (m.log) log(m.log)
      else outcome = m
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      children.delete(child)
      if (outcome?.result) resolve(outcome.result)
      else reject(new Error(`${job.kind} ${job.contender ?? ''} failed (exit ${code}): ${outcome?.error ?? 'no result'}`))
    })
  })
}

/** One cold start (cold.js) in a fresh process; resolves to { ms, loadMs }. */
function runCold(job) {
  const r = spawnSync(runtime.execPath, ['--no-warnings', path.join(BENCH, 'cold.js'), JSON.stringify(job)], {
    env: { ...process.env, ...runtime.env, NAPI_RS_NATIVE_LIBRARY_PATH: releaseBinary.path },
    encoding: 'utf8',
  })
  if (r.status !== 0) throw new Error(`cold start ${job.contender} (${job.state}) failed (exit ${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

function removeDb(file) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true })
}

/** Round r runs the contenders in an order rotated by r, so none always goes first. */
const rotated = (list, r) => list.map((_, i) => list[(i + r) % list.length])

async function main() {
  const started = Date.now()
  if (!args['skip-install']) ensureDependencies()
  if (!args['skip-build']) {
    log('bench: building the addon in release mode (npm run build)')
    run('npm', ['run', 'build', '--silent'], ROOT)
  }
  if (args.node) runtime = require('./lib/node-versions.js').childRuntime(args.node, log)
  if (backend === 'postgres') {
    fs.mkdirSync(DATA, { recursive: true })
    releaseBinary = snapshotReleaseBinary()
    return require('./lib/postgres-run.js').runPostgres({
      args,
      PLAN,
      quick,
      synchronous,
      concurrency: CONCURRENCY,
      log,
      runJob,
      killChildren: () => {
        for (const child of children) child.kill('SIGTERM')
      },
      removeDb,
      rotated,
      ROOT,
      BENCH,
      DATA,
      releaseBinary,
      started,
    })
  }
  const nodeSqlite = spawnSync(runtime.execPath, ['--no-warnings', '-e', "require('node:sqlite')"]).status === 0
  let nodeSqliteNote = ''
  if (!nodeSqlite && contenders.includes('nsqlite')) {
    contenders = contenders.filter((c) => c !== 'nsqlite')
    nodeSqliteNote = `Node.js ${runtime.version} has no node:sqlite: the node:sqlite floor is not run, and "the better floor" is the better-sqlite3 floor alone.`
    log(`bench: ${nodeSqliteNote}`)
  }
  const { CONTENDERS } = require('./lib/contenders.js')
  const report = require('./lib/report.js')
  const { startLoadMonitor, describe } = require('./lib/machine.js')
  for (const c of contenders) if (!ALL.includes(c)) throw new Error(`unknown contender ${c} (known: ${ALL.join(', ')})`)
  const labels = Object.fromEntries([...ALL, 'rust-mmap', 'memory'].map((c) => [c, CONTENDERS[c].label]))
  fs.mkdirSync(DATA, { recursive: true })
  releaseBinary = snapshotReleaseBinary()

  const env = describe(ROOT, BENCH)
  env.childNode = runtime.version
  env.releaseBinary = `${(releaseBinary.bytes / 2 ** 20).toFixed(1)} MiB, built ${releaseBinary.builtAt}`
  const monitor = startLoadMonitor()
  let childCpu = 0
  const cpuProf = Boolean(args['cpu-prof'])
  log(`bench: ${quick ? 'QUICK' : 'full'} run on Node.js ${runtime.version}, N=${PLAN.n} users, ${PLAN.rounds} rounds, synchronous=${synchronous.toUpperCase()} for every contender, ${env.cores} cores, load average ${os.loadavg()[0].toFixed(2)}; parts: ${Object.keys(PARTS).filter((p) => PARTS[p]).join(', ')}`)

  // Suite: interleaved rounds, one child process per contender per round.
  const suiteRuns = []
  for (let round = 0; round < (PARTS.suite ? PLAN.rounds : 0); round++) {
    for (const contender of rotated(contenders, round)) {
      const filename = path.join(DATA, `suite-${contender}.sqlite`)
      const t = Date.now()
      const result = await runJob(
        { kind: 'suite', contender, filename, synchronous, n: PLAN.n, round, concurrency: CONCURRENCY, ops: PLAN.ops, warm: PLAN.warm },
        { cpuProf },
      )
      removeDb(filename)
      childCpu += result.cpuSeconds
      suiteRuns.push({ contender, round, ...result })
      log(`  round ${round + 1}/${PLAN.rounds}  ${labels[contender].padEnd(26)} ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
  }
  const agg = report.aggregate(suiteRuns)

  // Scale: one bulk-seeded file per size, read by RustAdapter (as configured by default, and
  // with its opt-in memory map) and the floor in turn.
  const scale = {}
  const scaleContenders = contenders.flatMap((c) => (c === 'rust' ? ['rust', 'rust-mmap'] : c === 'floor' ? [c] : []))
  for (const size of scaleContenders.length ? PLAN.scaleSizes : []) {
    const file = path.join(DATA, `scale-${size}.sqlite`)
    const stamp = `${file}.seeded`
    if (!(args['keep-data'] && fs.existsSync(stamp))) {
      log(`bench: bulk-seeding ${size.toLocaleString('en-US')} users into ${path.relative(ROOT, file)}`)
      const seeded = await runJob({ kind: 'seed-file', filename: file, n: size })
      childCpu += seeded.cpuSeconds
      fs.writeFileSync(stamp, JSON.stringify(seeded))
      log(`  seeded in ${seeded.seconds.toFixed(1)} s, ${(seeded.bytes / 2 ** 20).toFixed(0)} MiB`)
    }
    const runs = []
    for (let round = 0; round < PLAN.scaleRounds; round++) {
      for (const contender of rotated(scaleContenders, round)) {
        const result = await runJob(
          { kind: 'hot-read', contender, filename: file, synchronous, n: size, round, ops: PLAN.scaleOps, warm: PLAN.scaleWarm },
          { cpuProf },
        )
        childCpu += result.cpuSeconds
        runs.push({ contender, round, ...result })
      }
    }
    scale[size] = report.aggregate(runs)
    log(`  hot read at ${size.toLocaleString('en-US')} users (uniform and Zipf-like tokens): ${PLAN.scaleRounds} rounds done`)
    if (!args['keep-data']) {
      removeDb(file)
      fs.rmSync(stamp, { force: true })
    }
  }
  // HTTP: GET /auth/session on the Express demo stack, one server process per contender, load
  // from autocannon in this process (lib/http.js).
  let http = {}
  const { HTTP_CONTENDERS, runHttp } = require('./lib/http.js')
  const httpContenders = HTTP_CONTENDERS.filter((c) => c === 'memory' || contenders.includes(c))
  if (PARTS.http && httpContenders.length > 1) {
    log(`bench: HTTP part, ${PLAN.http.n.toLocaleString('en-US')} users, ${PLAN.http.rounds} rounds of ${PLAN.http.amount.toLocaleString('en-US')} requests over ${PLAN.http.connections} connections`)
    const ran = await runHttp({
      contenders: httpContenders,
      plan: PLAN.http,
      synchronous,
      child: {
        execPath: runtime.execPath,
        env: { ...process.env, ...runtime.env, NAPI_RS_NATIVE_LIBRARY_PATH: releaseBinary.path },
        children,
      },
      fileOf: (c) => path.join(DATA, `http-${c}.sqlite`),
      removeDb,
      rotated,
      log,
    })
    http = ran.results
    childCpu += ran.cpuSeconds
  }

  // Cold start: process start → first getSessionAndUser answered, in a fresh process each time,
  // on a new file (schema created) and on an existing one (PLAN.coldUsers users signed up
  // beforehand by the same contender), against the floors. Interleaved rounds again.
  const cold = {}
  const coldContenders = ['rust', 'floor', 'nsqlite'].filter((c) => contenders.includes(c))
  if (PARTS.cold && coldContenders.length) {
    const data = require('./lib/data.js')
    const existing = {}
    for (const contender of coldContenders) {
      existing[contender] = path.join(DATA, `cold-existing-${contender}.sqlite`)
      removeDb(existing[contender])
      runCold({ contender, filename: existing[contender], synchronous, state: 'new', token: data.uuidFor('session', -1), seedUsers: PLAN.coldUsers })
    }
    for (let round = 0; round < PLAN.coldRounds; round++) {
      for (const contender of rotated(coldContenders, round)) {
        const fresh = path.join(DATA, `cold-new-${contender}.sqlite`)
        removeDb(fresh)
        const k = (round * 7919) % PLAN.coldUsers
        const runs = {
          new: runCold({ contender, filename: fresh, synchronous, state: 'new', token: data.uuidFor('session', -1) }),
          existing: runCold({ contender, filename: existing[contender], synchronous, state: 'existing', token: data.uuidFor('session', k), email: `user${k}@example.com` }),
        }
        removeDb(fresh)
        for (const [state, r] of Object.entries(runs)) {
          const entry = ((cold[contender] ??= {})[state] ??= { ms: [], startMs: [], loadMs: [] })
          entry.ms.push(r.ms)
          entry.startMs.push(r.startMs)
          entry.loadMs.push(r.loadMs)
        }
      }
    }
    for (const contender of coldContenders) removeDb(existing[contender])
    log(`  cold start: ${PLAN.coldRounds} rounds done`)
  }

  const ownCpu = childCpu + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6
  const load = monitor.stop(ownCpu)

  // Output.
  const suiteTable = report.suiteRows(agg, ALL.filter((c) => contenders.includes(c)), labels, ['drizzle', 'floor', 'nsqlite', 'best'])
  const coldTable = report.coldRows(cold, labels)
  const rss = report.rssRows(agg, ALL.filter((c) => contenders.includes(c)), labels)
  const scaleTable = report.scaleRows(scale, labels)
  const httpTable = report.httpRows(http, labels)
  const notes = {
    http: !PARTS.http ? 'HTTP part not run' : !http.rust || !http.floor ? 'needs RustAdapter and the floor in the HTTP part' : undefined,
    scale: !PARTS.scale
      ? 'scale part not run'
      : !PLAN.scaleSizes.includes(1000000)
        ? `no 1M-user file in a ${quick ? '--quick ' : ''}run`
        : 'needs RustAdapter in the scale part',
  }
  const verdicts = report.targets(agg, scale, cold, http, notes)
  const loadNote =
    `Machine load during the run: ${load.machineBusyCores.toFixed(2)} of ${env.cores} cores busy on average, ` +
    `${load.benchCores.toFixed(2)} of them the benchmark's measured processes, ${load.otherCores.toFixed(2)} other processes` +
    ` (1-min load average ${load.loadavgMin.toFixed(2)}–${load.loadavgMax.toFixed(2)}).`
  const busy = load.otherCores >= 0.15

  if (suiteTable.length) {
    log()
    log(report.textTable(report.SUITE_HEADER, suiteTable))
    log()
    log(report.textTable(report.RSS_HEADER, rss))
  }
  if (scaleTable.length) {
    log()
    log(report.textTable(report.SCALE_HEADER, scaleTable))
  }
  if (httpTable.length) {
    log()
    log(report.textTable(report.HTTP_HEADER, httpTable))
  }
  if (coldTable.length) {
    log()
    log(report.textTable(report.COLD_HEADER, coldTable))
  }
  log()
  log(report.textTable(report.TARGET_HEADER, verdicts.rows))
  if (nodeSqliteNote) log(nodeSqliteNote)
  log()
  log(loadNote)
  if (busy) log('Other processes were using the CPU during this run: treat small differences as noise.')
  log(`bench: done in ${((Date.now() - started) / 1000).toFixed(0)} s`)

  const raw = { plan: PLAN, parts: PARTS, synchronous, env, load, suiteRuns, scale, agg, http, cold }
  // Children on another Node.js major (--node=24) write their own files beside this Node's, so
  // a run on one major never overwrites the other's raw figures.
  const major = runtime.version.split('.')[0]
  const suffix = major === process.versions.node.split('.')[0] ? '' : `-node${major}`
  fs.writeFileSync(path.join(DATA, `${quick ? 'results-quick' : 'results'}${suffix}.json`), JSON.stringify(raw, null, 1))
  const partial = args['only-http'] || args['only-scale'] || args['no-http'] || args['no-scale'] || args['no-cold']
  const write = args.write ? true : args['no-write'] ? false : !quick && !args.only && !args.n && !args.rounds && !partial
  if (write) {
    const md = require('./lib/markdown.js').render({ PLAN, synchronous, env, load, loadNote, busy, suiteTable, rss, scaleTable, httpTable, coldTable, nodeSqliteNote, verdicts, report, quick })
    const name = `RESULTS${suffix}.md`
    fs.writeFileSync(path.join(BENCH, name), md)
    log(`bench: wrote ${path.relative(ROOT, path.join(BENCH, name))}`)
  }
}

main().catch((error) => {
  process.stderr.write(`bench: ${error && error.stack ? error.stack : error}\n`)
  process.exit(1)
})
