'use strict'
/**
 * @file `npm run test:node-matrix`: the Jest suites (SQLite, PostgreSQL, browser end to end) on
 * the supported Node.js majors other than the one running this script.
 *
 * Node.js itself comes from the npm registry: the package `node-<platform>-<arch>` (what the npm
 * package `node` installs) holds the official build, `bin/node` and the headers in
 * `include/node`. It is fetched with `npm pack` into `node_modules/.cache/authjs-rust-adapter/`
 * once per pinned version (below) and reused.
 *
 * The adapter is a Node-API addon, so the one binary built by `npm run build` loads on every
 * version. better-sqlite3 (a devDependency some tests read files with) is not: its addon is
 * built for one Node.js ABI. For each version a copy of it is compiled from source with npm's
 * node-gyp against that version's headers (`--nodedir`, no download) into
 * `node_modules/.cache/authjs-rust-adapter/node-v<version>/better-sqlite3`, and Jest is pointed at the copy
 * (`--moduleNameMapper`).
 *
 * The two versions run side by side (one process each, Jest with one worker each: two cores
 * busy), each one's suites one after the other with a throwaway PostgreSQL cluster of its own.
 * Every run writes its Jest JSON to `target/node-matrix/<version>/<suite>.json` and its
 * output to `<suite>.log` beside it; `target/node-matrix/results.json` sums them up. The script
 * prints one line per run and exits non-zero if any failed or ran no test.
 *
 * Options: `--versions 22,24` picks majors (default: the supported ones other than this one);
 * `--serial` runs the versions one after the other; `--prepare` only fetches Node.js and builds
 * better-sqlite3 for it.
 */
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
// Downloads and builds: under node_modules, where Jest does not take their package.json files
// for modules of the project (it would under target/). Results and logs: under target/.
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'authjs-rust-adapter')
const OUT = path.join(ROOT, 'target', 'node-matrix')

/** The Node.js versions tested: the newest release of each supported major on the registry. */
const PINNED = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3' }

const JEST = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')]

/** The suites, as package.json's test:jest, test:postgres and test:e2e run them. */
const SUITES = [
  { name: 'sqlite', args: [] },
  { name: 'postgres', args: ['-c', '__test__/postgres/jest.config.js'] },
  // The browser suites build and serve the example apps in the repository's own folders
  // (examples/nextjs/.next above all), which two versions cannot share at once: they take turns.
  { name: 'e2e', args: ['--testPathIgnorePatterns=/node_modules/', '--testTimeout=60000', '__test__/e2e'], exclusive: true },
]

/** The queue of the suites marked `exclusive`: each runs when the previous one has ended. */
let exclusiveQueue = Promise.resolve()
/** Runs `task` now, or after the exclusive suites queued before it when `exclusive`. */
function inTurn(exclusive, task) {
  if (!exclusive) return task()
  const turn = exclusiveQueue.then(task)
  exclusiveQueue = turn.catch(() => {})
  return turn
}

/** Runs a command to its end; resolves to its stdout, rejects with its output on failure. */
function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', (e) => reject(new Error(`${cmd} could not start: ${e.message}`)))
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}):\n${stderr}\n${stdout}`)),
    )
  })
}

/** The official Node.js `version`, unpacked from the npm registry into the cache. */
async function nodeDir(version) {
  const dir = path.join(CACHE, `node-v${version}`)
  const bin = path.join(dir, 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
  if (!fs.existsSync(bin)) await fetchNode(version, dir)
  const said = (await run(bin, ['--version'])).trim()
  if (said !== `v${version}`) throw new Error(`${bin} says it is ${said}, not v${version}`)
  return dir
}

/** Fetches the official Node.js `version` for this platform from the npm registry into `dir`. */
async function fetchNode(version, dir) {
  const platform = process.platform === 'win32' ? 'win' : process.platform
  const pkg = `node-${platform}-${process.arch}@${version}`
  const partial = `${dir}.partial`
  fs.rmSync(partial, { recursive: true, force: true })
  fs.mkdirSync(partial, { recursive: true })
  const tgz = (await run('npm', ['pack', pkg, '--silent', '--pack-destination', partial], { cwd: partial })).trim().split('\n').pop()
  await run('tar', ['xzf', path.join(partial, tgz), '-C', partial, '--strip-components=1'])
  fs.rmSync(path.join(partial, tgz))
  fs.renameSync(partial, dir)
}

/** The path of npm's own node-gyp (npm ships it for building addons from source). */
async function nodeGyp() {
  const candidates = []
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const globalRoot = (await run('npm', ['root', '-g'])).trim()
  candidates.push(path.join(globalRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const found = candidates.find((c) => fs.existsSync(c))
  if (!found) throw new Error(`npm's node-gyp not found (looked at ${candidates.join(', ')})`)
  return found
}

/** A copy of better-sqlite3 compiled for Node.js `version` (whose official build is in `dir`). */
async function betterSqlite3For(version, dir) {
  const source = path.join(ROOT, 'node_modules', 'better-sqlite3')
  const { version: bsVersion } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'))
  const copy = path.join(CACHE, `node-v${version}`, 'better-sqlite3')
  const stamp = path.join(copy, '.built-for')
  const wanted = `better-sqlite3@${bsVersion} node@${version}\n`
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return copy
  fs.rmSync(copy, { recursive: true, force: true })
  fs.cpSync(source, copy, { recursive: true, filter: (f) => !f.startsWith(path.join(source, 'build')) })
  const node = path.join(dir, 'bin', 'node')
  // Under `npm run`, npm hands its own config to node-gyp as npm_config_* variables, and those
  // win over node-gyp's flags: a user's `nodedir=/usr` in ~/.npmrc (set to build addons for
  // the system Node.js) would compile this copy against that Node.js's headers. So the
  // variables that choose the headers are this version's, whatever npm's config says.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(nodedir|target|runtime|dist_url|disturl)$/i.test(k)))
  await run(node, [await nodeGyp(), 'rebuild', '--release', `--nodedir=${dir}`, `--jobs=${process.env.MATRIX_GYP_JOBS ?? '1'}`], {
    cwd: copy,
    env: { ...env, npm_config_nodedir: dir, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` },
  })
  // Load it with that Node.js once: a wrong ABI fails here, not in the middle of a suite.
  await run(node, ['-e', `new (require(${JSON.stringify(copy)}))(':memory:').prepare('select 1').get()`])
  fs.writeFileSync(stamp, wanted)
  return copy
}

/** Runs the suites on one version, one after the other; resolves to one result per suite. */
async function runVersion(version, log, prepareOnly) {
  const started = Date.now()
  const dir = await nodeDir(version)
  const betterSqlite3 = await betterSqlite3For(version, dir)
  log(`node ${version}: ready in ${((Date.now() - started) / 1000).toFixed(0)} s (node and better-sqlite3 for it)`)
  if (prepareOnly) return []
  const node = path.join(dir, 'bin', 'node')
  const out = path.join(OUT, version)
  fs.mkdirSync(out, { recursive: true })
  const results = []
  for (const suite of SUITES) {
    const json = path.join(out, `${suite.name}.json`)
    fs.rmSync(json, { force: true })
    const args = [
      ...JEST,
      ...suite.args,
      '--maxWorkers=1',
      `--moduleNameMapper=${JSON.stringify({ '^better-sqlite3$': betterSqlite3 })}`,
      '--json',
      `--outputFile=${json}`,
    ]
    const logFile = path.join(out, `${suite.name}.log`)
    let t = Date.now()
    const code = await inTurn(
      suite.exclusive,
      () =>
        new Promise((resolve) => {
          t = Date.now()
          const child = spawn(node, args, {
            cwd: ROOT,
            // Children the tests start with `node` (or process.execPath) run on the same version.
            env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` },
            stdio: ['ignore', fs.openSync(logFile, 'w'), fs.openSync(logFile, 'a')],
          })
          child.on('exit', (c, signal) => resolve(c ?? signal))
        }),
    )
    let summary = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTotalTests: 0 }
    try {
      const full = JSON.parse(fs.readFileSync(json, 'utf8'))
      summary = Object.fromEntries(Object.keys(summary).map((k) => [k, full[k]]))
    } catch {
      // no JSON: Jest did not get that far; the log says why
    }
    const ok = code === 0 && summary.numTotalTests > 0 && summary.numFailedTests === 0
    results.push({ version, suite: suite.name, ok, summary, seconds: (Date.now() - t) / 1000, logFile })
    log(
      `node ${version} ${suite.name}: ${summary.numPassedTests} passed, ${summary.numFailedTests} failed, ` +
        `${summary.numPendingTests} skipped (${((Date.now() - t) / 1000).toFixed(0)} s)${ok ? '' : ` FAILED, see ${path.relative(ROOT, logFile)}`}`,
    )
  }
  return results
}

async function main(argv) {
  const current = Number(process.versions.node.split('.')[0])
  const prepareOnly = argv.includes('--prepare')
  const at = argv.indexOf('--versions')
  const majors = at >= 0 ? argv[at + 1].split(',').map(Number) : Object.keys(PINNED).map(Number).filter((m) => m !== current)
  for (const m of majors) if (!PINNED[m]) throw new Error(`Node.js ${m} is not a supported major (${Object.keys(PINNED).join(', ')})`)
  if (!prepareOnly && !fs.existsSync(path.join(ROOT, 'native.js'))) throw new Error('build the addon first: npm run build')
  fs.mkdirSync(CACHE, { recursive: true })
  const log = (line) => console.log(`[node-matrix] ${line}`)
  log(`running on ${process.version}; testing ${majors.map((m) => PINNED[m]).join(' and ')}`)
  const started = Date.now()
  let results
  if (argv.includes('--serial')) {
    results = []
    for (const m of majors) results.push(...(await runVersion(PINNED[m], log, prepareOnly)))
  } else {
    results = (await Promise.all(majors.map((m) => runVersion(PINNED[m], log, prepareOnly)))).flat()
  }
  fs.mkdirSync(OUT, { recursive: true })
  fs.writeFileSync(path.join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  const sum = (k) => results.reduce((n, r) => n + r.summary[k], 0)
  log(`all: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  console.log(`node-matrix: ${sum('numPassedTests')} passed, ${sum('numFailedTests')} failed, ${sum('numPendingTests')} skipped`)
  if (results.some((r) => !r.ok)) process.exit(1)
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`node-matrix: ${e.message}`)
  process.exit(1)
})
