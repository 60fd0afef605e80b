'use strict'
// The package outside Node.js (Edge middleware, workers, browsers) and inside a bundle: importing
// must work where no Node.js built-in and no native binary can be loaded, and each call must say
// what to do. The modules are evaluated in a bare `node:vm` context: no `process`, no `require`
// of Node's, no built-ins; a small CommonJS loader serves the package's own files only.
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const { execFileSync } = require('node:child_process')
const { RustAdapter, tempFile, rejectionOf } = require('./helpers')
const { ADAPTER_METHODS } = require('../lib/edge.js')

const PACKAGE_DIR = path.join(__dirname, '..')

/**
 * Evaluates the package file `entry` in a fresh context holding only `globals`. `require` serves
 * files of the package; anything else (a built-in, `../native.js` when `hideNative`) throws as a
 * runtime without it would: `Cannot find module '…'`, code MODULE_NOT_FOUND. Answers the
 * entry's exports and the names that were refused.
 */
function evaluate(entry, { globals = {}, hideNative = true } = {}) {
  const context = vm.createContext({ ...globals })
  const refused = []
  const cache = new Map()
  const load = (file) => {
    if (cache.has(file)) return cache.get(file).exports
    const module = { exports: {} }
    cache.set(file, module)
    const source = fs.readFileSync(file, 'utf8')
    const wrapper = vm.runInContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, context, {
      filename: file,
    })
    const dir = path.dirname(file)
    const localRequire = (id) => {
      const target = id.startsWith('.') ? path.resolve(dir, id) : null
      const allowed = target && target.startsWith(PACKAGE_DIR + path.sep) && fs.existsSync(target) && !(hideNative && target.endsWith('native.js'))
      if (!allowed) {
        refused.push(id)
        const error = new Error(`Cannot find module '${id}'`)
        error.code = 'MODULE_NOT_FOUND'
        throw error
      }
      return load(target)
    }
    try {
      wrapper.call(module.exports, module.exports, localRequire, module, file, dir)
    } catch (error) {
      cache.delete(file) // as Node.js does: a module that threw is evaluated again next time
      throw error
    }
    return module.exports
  }
  return { exports: load(path.join(PACKAGE_DIR, entry)), refused, context }
}


describe('outside Node.js', () => {
  test.each(['edge.js', 'index.js'])('%s evaluates with no Node.js built-in and no binary, and loads neither', (entry) => {
    const { exports, refused } = evaluate(entry)
    expect(Object.keys(exports).sort()).toEqual(['LegacyAdapter', 'ReplocalClientDb', 'RustAdapter', 'RustAdapterError', 'RustClientDb', 'default'])
    expect(refused).toEqual([])
  })

  test('index.js in an Edge runtime (EdgeRuntime set, a partial process) answers with the face that rejects', async () => {
    const { exports, refused } = evaluate('index.js', {
      globals: { EdgeRuntime: 'edge-runtime', process: { env: {}, versions: { node: '20.0.0' } } },
    })
    const error = await rejectionOf(exports.RustAdapter({ filename: 'auth.sqlite' }).getSessionAndUser('token'))
    expect(error.code).toBe('NODE_RUNTIME_REQUIRED')
    expect(refused).toEqual([])
  })

  test('RustAdapter() works there and every method rejects with NODE_RUNTIME_REQUIRED, naming the method and the fix', async () => {
    const { exports } = evaluate('edge.js')
    const adapter = exports.RustAdapter({ filename: 'auth.sqlite' })
    for (const name of ADAPTER_METHODS) {
      const error = await rejectionOf(adapter[name]())
      expect(error).toBeInstanceOf(exports.RustAdapterError)
      expect(error.code).toBe('NODE_RUNTIME_REQUIRED')
      expect(error.message).toMatch(new RegExp(`^NODE_RUNTIME_REQUIRED: RustAdapter\\(\\)\\.${name} was called outside Node\\.js`))
      expect(error.message).toContain('auth.config.ts')
      expect(error.message).toContain("runtime: 'nodejs'")
    }
  })

  test('the Edge adapter has exactly the methods of the Node.js adapter (so Auth.js accepts it as configured)', () => {
    const nodeAdapter = RustAdapter({ filename: tempFile() })
    expect(Object.keys(nodeAdapter).sort()).toEqual([...ADAPTER_METHODS].sort())
  })

  test('LegacyAdapter and RustClientDb are there too, and reject on use', async () => {
    const { exports } = evaluate('edge.js')
    expect((await rejectionOf(exports.LegacyAdapter().getAdapter({}))).code).toBe('NODE_RUNTIME_REQUIRED')
    const db = exports.RustClientDb({ filename: 'replica.sqlite', hub: 'postgres://hub/db' })
    expect((await rejectionOf(db.pull())).code).toBe('NODE_RUNTIME_REQUIRED')
    expect((await rejectionOf(db.database.getUser('x'))).code).toBe('NODE_RUNTIME_REQUIRED')
  })

  test.each(['edge-light', 'worker', 'browser'])(
    'the %s export condition resolves to the Edge entry, for require and for import',
    (condition) => {
      // Node.js resolves the package by its own name from inside it, with the condition given.
      const resolve = (code, extra = []) =>
        execFileSync(process.execPath, [`--conditions=${condition}`, ...extra, '-e', code], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim()
      expect(resolve("console.log(require.resolve('authjs-rust-adapter'))")).toBe(path.join(PACKAGE_DIR, 'edge.js'))
      expect(resolve("console.log(import.meta.resolve('authjs-rust-adapter'))", ['--input-type=module'])).toBe(
        `file://${path.join(PACKAGE_DIR, 'edge.mjs')}`,
      )
      // And edge.mjs gives the same names, which reject on use.
      const out = resolve(
        "const m = await import('authjs-rust-adapter'); const e = await m.RustAdapter().getUser('x').catch((e) => e); console.log(Object.keys(m).sort().join(), e.code)",
        ['--input-type=module'],
      )
      expect(out).toBe('LegacyAdapter,ReplocalClientDb,RustAdapter,RustAdapterError,RustClientDb,default NODE_RUNTIME_REQUIRED')
    },
  )

  test('without a condition, Node.js still gets the native adapter', () => {
    const out = execFileSync(process.execPath, ['-p', "require.resolve('authjs-rust-adapter')"], { cwd: PACKAGE_DIR, encoding: 'utf8' }).trim()
    expect(out).toBe(path.join(PACKAGE_DIR, 'index.js'))
  })
})

describe('bundled by mistake', () => {
  test('a bundle without native.js beside it: NO_PREBUILT_BINARY naming serverExternalPackages', () => {
    // In Node.js (process present), with native.js out of reach as in a bundle's chunk folder.
    const { exports } = evaluate('lib/load.js', { globals: { process } })
    let error
    try {
      exports.loadNative()
    } catch (thrown) {
      error = thrown
    }
    expect(error.code).toBe('NO_PREBUILT_BINARY')
    expect(error.message).toContain('serverExternalPackages: ["authjs-rust-adapter"]')
    expect(error.message).toContain('was bundled')
  })

  test('under webpack (__webpack_require__ defined), a failed load names serverExternalPackages', () => {
    const webpackRequire = () => {
      throw new Error("Module parse failed: Unexpected character '\u007f' (1:0)")
    }
    const { exports } = evaluate('lib/load.js', {
      globals: { process, __webpack_require__: webpackRequire, __non_webpack_require__: webpackRequire },
    })
    expect(() => exports.loadNative()).toThrow(expect.objectContaining({ code: 'NO_PREBUILT_BINARY', message: expect.stringContaining('serverExternalPackages') }))
  })

  test('installed (native.js found) but its binary not loadable: the platform message, not the bundle one', () => {
    // native.js is reached; what it needs (Node's built-ins, the .node file) the vm loader
    // refuses, as when no prebuilt package fits this platform.
    const { exports } = evaluate('lib/load.js', { globals: { process }, hideNative: false })
    expect(() => exports.loadNative()).toThrow(
      expect.objectContaining({
        code: 'NO_PREBUILT_BINARY',
        message: expect.not.stringContaining('serverExternalPackages'),
      }),
    )
    expect(() => exports.loadNative()).toThrow(`no prebuilt binary for ${process.platform}-${process.arch}`)
  })
})
