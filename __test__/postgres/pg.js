'use strict'
/**
 * Helpers of the PostgreSQL-only suites: child processes that compete on one database, and
 * psql (from the server's own binaries) for looking at the server without going through the
 * adapter.
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

/** The psql of the test server's binaries (falls back to psql on PATH). */
function psqlPath() {
  const bin = process.env.AUTHJS_TEST_PG_BIN
  return bin ? path.join(bin, 'psql') : 'psql'
}

/** Runs SQL on the test server; returns the rows as arrays of strings. */
function psql(sql) {
  const out = execFileSync(psqlPath(), [process.env.AUTHJS_TEST_PG_URL, '-X', '-q', '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  })
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'))
}

/** Runs SQL on the server at `url` (default: the test server). */
function psqlAt(url, sql) {
  return execFileSync(psqlPath(), [url, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim()
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
    async start() {
      saved = Object.fromEntries(CLUSTER_ENV.map((k) => [k, process.env[k]]))
      own = await cluster.startCluster()
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
 * Runs SQL through psql in the background (for transactions that must stay open while the
 * test goes on); resolves when psql exits.
 */
function psqlLater(sql, url = process.env.AUTHJS_TEST_PG_URL) {
  return new Promise((resolve, reject) => {
    execFile(psqlPath(), [url, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], (error, stdout) =>
      error ? reject(error) : resolve(stdout.trim()),
    )
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

module.exports = { runChild, psql, psqlAt, psqlLater, privateCluster, newReplica }
