'use strict'
/**
 * `--node=24`: the bench's children on another Node.js major than the one running run.js.
 *
 * Node.js comes from the npm registry exactly as scripts/node-matrix.js fetches it (the package
 * `node-<platform>-<arch>` holds the official build) and into the same cache,
 * `node_modules/.cache/authjs-rust-adapter/node-v<version>/`, so the two share one download.
 * better-sqlite3's addon is built for one Node.js ABI: a copy of bench/node_modules/better-sqlite3
 * is compiled from source with npm's node-gyp against that version's headers (`--nodedir`, no
 * download) into `node-v<version>/bench-better-sqlite3/` of the same cache, and the children
 * load its addon through better-sqlite3's `nativeBinding` option (BENCH_BETTER_SQLITE3_BINDING,
 * read by lib/schema.js). The adapter itself is a Node-API addon: one build loads everywhere.
 */
const fs = require('node:fs')
const path = require('node:path')
const { spawnSync } = require('node:child_process')

const ROOT = path.resolve(__dirname, '..', '..')
const BENCH = path.join(ROOT, 'bench')
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'authjs-rust-adapter')

/** The versions scripts/node-matrix.js pins (keep them equal, so the cache is shared). */
const PINNED = { 20: '20.20.2', 22: '22.23.5', 24: '24.22.3' }

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, ...options })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`)
  return r.stdout
}

/** The official Node.js `version`'s directory in the cache, fetched from the npm registry once. */
function nodeDir(version, log) {
  const dir = path.join(CACHE, `node-v${version}`)
  const bin = path.join(dir, 'bin', 'node')
  if (!fs.existsSync(bin)) {
    log(`bench: fetching Node.js ${version} from the npm registry into ${path.relative(ROOT, dir)}`)
    const partial = `${dir}.partial`
    fs.rmSync(partial, { recursive: true, force: true })
    fs.mkdirSync(partial, { recursive: true })
    const pkg = `node-${process.platform}-${process.arch}@${version}`
    const tgz = run('npm', ['pack', pkg, '--silent', '--pack-destination', partial], { cwd: partial }).trim().split('\n').pop()
    run('tar', ['xzf', path.join(partial, tgz), '-C', partial, '--strip-components=1'])
    fs.rmSync(path.join(partial, tgz))
    fs.renameSync(partial, dir)
  }
  const said = run(bin, ['--version']).trim()
  if (said !== `v${version}`) throw new Error(`${bin} says it is ${said}, not v${version}`)
  return dir
}

/** npm's own node-gyp (npm ships it for building addons from source). */
function nodeGyp() {
  const candidates = []
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  candidates.push(path.join(run('npm', ['root', '-g']).trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'))
  const found = candidates.find((c) => fs.existsSync(c))
  if (!found) throw new Error(`npm's node-gyp not found (looked at ${candidates.join(', ')})`)
  return found
}

/** The path of bench's better-sqlite3 addon compiled for Node.js `version` (in `dir`). */
function betterSqlite3Binding(version, dir, log) {
  const source = path.join(BENCH, 'node_modules', 'better-sqlite3')
  const { version: bsVersion } = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'))
  const copy = path.join(dir, 'bench-better-sqlite3')
  const binding = path.join(copy, 'build', 'Release', 'better_sqlite3.node')
  const stamp = path.join(copy, '.built-for')
  const wanted = `better-sqlite3@${bsVersion} node@${version}\n`
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted) return binding
  log(`bench: building better-sqlite3 ${bsVersion} for Node.js ${version} (from source, a few minutes)`)
  fs.rmSync(copy, { recursive: true, force: true })
  fs.cpSync(source, copy, { recursive: true, filter: (f) => !f.startsWith(path.join(source, 'build')) })
  const node = path.join(dir, 'bin', 'node')
  // Under `npm run`, npm's config reaches node-gyp as npm_config_* variables, and those win over
  // its flags: a `nodedir=/usr` in ~/.npmrc would build against this Node.js's headers instead
  // (as scripts/node-matrix.js found). Drop them, and name the version's headers both ways.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(nodedir|target|runtime|dist_url|disturl)$/i.test(k)))
  run(node, [nodeGyp(), 'rebuild', '--release', `--nodedir=${dir}`, `--jobs=${process.env.BENCH_GYP_JOBS ?? '2'}`], {
    cwd: copy,
    env: { ...env, npm_config_nodedir: dir, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` },
  })
  // Load it with that Node.js once: a wrong ABI fails here, not in the middle of a round.
  run(node, ['-e', `new (require(${JSON.stringify(copy)}))(':memory:').prepare('select 1').get()`])
  fs.writeFileSync(stamp, wanted)
  return binding
}

/**
 * What the children run on for `--node=<major>`: `{ execPath, env, version }`. Without the
 * option (or with this process's own major) they run on this Node.js and bench's own install.
 */
function childRuntime(major, log) {
  const current = process.versions.node.split('.')[0]
  if (!major || String(major) === current) return { execPath: process.execPath, env: {}, version: process.versions.node }
  const version = PINNED[major]
  if (!version) throw new Error(`--node=${major}: not a supported major (${Object.keys(PINNED).join(', ')})`)
  const dir = nodeDir(version, log)
  const binding = betterSqlite3Binding(version, dir, log)
  return { execPath: path.join(dir, 'bin', 'node'), env: { BENCH_BETTER_SQLITE3_BINDING: binding }, version }
}

module.exports = { childRuntime, nodeDir, PINNED, CACHE }
