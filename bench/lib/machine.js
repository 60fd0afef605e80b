'use strict'
/** What the machine is, and how busy other processes kept it while the benchmark ran. */

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

/** Busy and total CPU time of the whole machine so far, in seconds (from /proc/stat). */
function machineCpu() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
    const hz = 100 // USER_HZ on Linux
    const idle = fields[3] + (fields[4] || 0) // idle + iowait
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: (total - idle) / hz, total: total / hz }
  } catch {
    return null
  }
}

/**
 * Watches machine load while the benchmark runs. `stop(ownCpuSeconds)` tells how many cores
 * other processes kept busy on average: machine busy time minus the benchmark's own.
 */
function startLoadMonitor() {
  const start = machineCpu()
  const startedAt = Date.now()
  const loads = [os.loadavg()[0]]
  const timer = setInterval(() => loads.push(os.loadavg()[0]), 5000)
  timer.unref()
  return {
    stop(ownCpuSeconds) {
      clearInterval(timer)
      loads.push(os.loadavg()[0])
      const end = machineCpu()
      const wall = (Date.now() - startedAt) / 1000
      const busy = start && end ? end.busy - start.busy : NaN
      return {
        wallSeconds: wall,
        machineBusyCores: busy / wall,
        benchCores: ownCpuSeconds / wall,
        otherCores: Math.max(0, (busy - ownCpuSeconds) / wall),
        loadavgMin: Math.min(...loads),
        loadavgMax: Math.max(...loads),
      }
    },
  }
}

function tryRun(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

/** The SQLite version bundled into RustAdapter (rusqlite's libsqlite3-sys), from Cargo.lock. */
function rustSqliteVersion(root) {
  const lock = fs.readFileSync(path.join(root, 'Cargo.lock'), 'utf8')
  const m = /name = "libsqlite3-sys"\nversion = "([^"]+)"/.exec(lock)
  if (!m) return 'unknown'
  const home = process.env.CARGO_HOME || path.join(os.homedir(), '.cargo')
  try {
    for (const dir of fs.readdirSync(path.join(home, 'registry', 'src'))) {
      const header = path.join(home, 'registry', 'src', dir, `libsqlite3-sys-${m[1]}`, 'sqlite3', 'sqlite3.h')
      if (fs.existsSync(header)) {
        const v = /#define SQLITE_VERSION\s+"([^"]+)"/.exec(fs.readFileSync(header, 'utf8'))
        if (v) return `${v[1]} (libsqlite3-sys ${m[1]}, bundled)`
      }
    }
  } catch {}
  return `libsqlite3-sys ${m[1]} (bundled)`
}

/** Facts about this machine and the software under test, for the report. */
function describe(root, benchDir) {
  const Database = require('better-sqlite3')
  const probe = new Database(':memory:')
  const betterSqliteSqlite = probe.prepare('SELECT sqlite_version() AS v').get().v
  probe.close()
  const version = (pkg) => JSON.parse(fs.readFileSync(path.join(benchDir, 'node_modules', pkg, 'package.json'), 'utf8')).version
  const commit = tryRun('git', ['rev-parse', '--short', 'HEAD'], root)
  const dirty = tryRun('git', ['status', '--porcelain', '--', 'src', 'index.js', 'Cargo.toml'], root)
  return {
    date: new Date().toISOString(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: os.totalmem() / 2 ** 30,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: commit ? `${commit}${dirty ? ' (with uncommitted changes in src/)' : ''}` : 'unknown',
    rustSqlite: rustSqliteVersion(root),
    betterSqlite3: version('better-sqlite3'),
    betterSqliteSqlite,
    drizzleOrm: version('drizzle-orm'),
    drizzleAdapter: version('@auth/drizzle-adapter'),
    kysely: version('kysely'),
    kyselyAdapter: version('@auth/kysely-adapter'),
    express: version('express'),
    authExpress: version('@auth/express'),
    authCore: version('@auth/core'),
    autocannon: version('autocannon'),
  }
}

module.exports = { startLoadMonitor, describe }
