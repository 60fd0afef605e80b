'use strict'
/**
 * Helpers of the PostgreSQL-only suites: child processes that compete on one database, and
 * `psql()` for looking at the server without going through the adapter (the npm `pg` client in
 * a child process, sql-child.js, so it answers synchronously and needs no psql binary).
 */
const path = require('node:path')
const { execFile, execFileSync } = require('node:child_process')

/** Runs `child.js` with `job`; resolves to the JSON line it printed. */
function runChild(job) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'child.js'), JSON.stringify(job)], { timeout: 60000 }, (error, stdout) => {
      const line = stdout.trim().split('\n').pop()
      try {
        resolve(JSON.parse(line))
      } catch {
        reject(error ?? new Error(`child printed no result: ${stdout}`))
      }
    })
  })
}

const SQL_CHILD = path.join(__dirname, 'sql-child.js')

/** Runs SQL on the server at `url`; returns what `psql -At -F separator` prints. */
function runSql(url, sql, separator) {
  return execFileSync(process.execPath, [SQL_CHILD, url, separator, sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Runs SQL on the test server; returns the rows of its last statement as arrays of strings. */
function psql(sql) {
  return runSql(process.env.AUTHJS_TEST_PG_URL, sql, '\t')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'))
}

/** Runs SQL on the server at `url` (default: the test server); returns its text output, trimmed. */
function psqlAt(url, sql) {
  return runSql(url, sql, '|').trim()
}

const CLUSTER_ENV = ['URL', 'DATA', 'BIN', 'RUNAS', 'ROOT', 'OPTS'].map((k) => `AUTHJS_TEST_PG_${k}`)

/**
 * A cluster of the calling suite's own, for suites that restart or reconfigure the server
 * (which would disturb suites running beside them on the shared one). `start()` resolves to
 * the cluster (`url`, `dataDir`, ...); `stop()` removes it and gives the environment back the
 * shared cluster's variables.
 */
function privateCluster() {
  const cluster = require('../../scripts/postgres-cluster.js')
  let saved
  let own
  return {
    async start(options) {
      saved = Object.fromEntries(CLUSTER_ENV.map((k) => [k, process.env[k]]))
      own = await cluster.startCluster(options)
      return own
    },
    async stop() {
      if (own) await cluster.stopCluster(own)
      for (const [k, v] of Object.entries(saved ?? {})) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    },
    restart: (options) => cluster.restartCluster(options),
    stopServer: () => cluster.stopServer(),
    startServer: () => cluster.startServer(),
  }
}

/**
 * Runs SQL in the background (for transactions that must stay open while the
 * test goes on); resolves to its output when it ends.
 */
function psqlLater(sql, url = process.env.AUTHJS_TEST_PG_URL) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SQL_CHILD, url, '|', sql], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())))
  })
}

/**
 * A new replica (RustClientDb on a fresh file) of the hub `hub` (a config from `storeConfig()`
 * or `newAdapter().config`); closed after the test file, before its files are removed. `replica.file` is its SQLite file.
 */
function newReplica(hub, extra = {}) {
  const { RustClientDb } = require('../..')
  const { closeAfterAll, tempFile } = require('../helpers')
  const filename = tempFile('replica.sqlite')
  const replica = RustClientDb({ filename, hub: hub.url, schema: hub.schema, sweepInterval: 0, ...extra })
  closeAfterAll(replica)
  // For the tests only: where the replica's file is, to read it with an independent SQLite.
  return Object.assign(replica, { file: filename })
}

/**
 * A replica process (replica-child.js: RustClientDb on its own file, registered and live) of
 * the hub `hub` ({ url, schema }). `ready` resolves once it has started (live if it could
 * register); `send(message)` resolves to its answer; `file` is its SQLite file (`options.file`:
 * an existing one, e.g. of a replica that ran before).
 */
function startReplica(hub, options = {}) {
  const readline = require('node:readline')
  const { spawn } = require('node:child_process')
  const { tempFile } = require('../helpers')
  const file = options.file ?? tempFile('replica.sqlite')
  const child = spawn(process.execPath, [path.join(__dirname, 'replica-child.js'), file, hub.url, hub.schema], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const waiting = new Map()
  let next = 1
  let readyResolve
  const ready = new Promise((resolve) => (readyResolve = resolve))
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line)
    if (m.id === 0) return readyResolve(m)
    waiting.get(m.id)(m)
    waiting.delete(m.id)
  })
  const send = (message) =>
    new Promise((resolve) => {
      const id = next++
      waiting.set(id, resolve)
      child.stdin.write(`${JSON.stringify({ id, ...message })}\n`)
    })
  return { child, ready, send, file }
}

module.exports = { runChild, psql, psqlAt, psqlLater, privateCluster, newReplica, startReplica }
