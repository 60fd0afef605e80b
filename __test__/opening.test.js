'use strict'
// When the adapter opens its file, and how adapters on one file share it (src/node/opening.rs):
// opened by the first call, one store per file per thread, released by close() or by the
// garbage collector. Descriptors are counted in /proc/self/fd, threads in /proc/self/task.
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { RustAdapter, tempDir, tempFile, userFixture } = require('./helpers')
const native = require('../native.js')

const PACKAGE_DIR = path.join(__dirname, '..')

/** This process's descriptors open on `filename` or its -wal / -shm. */
function descriptorsOn(filename) {
  const counts = { file: 0, wal: 0, shm: 0 }
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // closed since the listing
    }
    if (target === filename) counts.file++
    else if (target === `${filename}-wal`) counts.wal++
    else if (target === `${filename}-shm`) counts.shm++
  }
  return counts
}

/** This process's threads. */
const threads = () => fs.readdirSync('/proc/self/task').length

/** Runs `script` in a fresh Node.js process (with --expose-gc); its last line, parsed. */
function runNode(script, args = []) {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script, ...args], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').at(-1))
}

describe('one store per file', () => {
  test('50 RustAdapter() calls on one file, each used, open one writer connection and no thread more than one does', async () => {
    const filename = tempFile()
    const first = RustAdapter({ filename })
    await first.createUser(userFixture())
    const one = descriptorsOn(filename)
    const threadsWithOne = threads()
    const more = []
    for (let i = 0; i < 49; i++) {
      const adapter = RustAdapter({ filename })
      await adapter.getUser('nobody')
      await adapter.createUser(userFixture())
      more.push(adapter)
    }
    expect(native.openAdaptersOn(filename)).toBe(50)
    expect(descriptorsOn(filename)).toEqual(one)
    expect(threads()).toBe(threadsWithOne)
    for (const adapter of [first, ...more]) await adapter.close()
  })

  test('a user written through one adapter is read through another at once', async () => {
    const filename = tempFile()
    const a = RustAdapter({ filename })
    const b = RustAdapter({ filename: path.join(path.dirname(filename), '.', path.basename(filename)) })
    const user = await a.createUser(userFixture())
    expect(await b.getUser(user.id)).toEqual(user)
    expect(native.openAdaptersOn(filename)).toBe(2)
    await a.close()
    await b.close()
  })

  test('close() gives back one share: the others keep working, the closed one rejects with CLOSED', async () => {
    const filename = tempFile()
    const a = RustAdapter({ filename })
    const b = RustAdapter({ filename })
    await a.createUser(userFixture())
    await b.getUser('nobody')
    await a.close()
    await expect(a.getUser('nobody')).rejects.toMatchObject({ code: 'CLOSED' })
    const user = await b.createUser(userFixture())
    expect(await b.getUser(user.id)).toEqual(user)
    expect(native.openAdaptersOn(filename)).toBe(1)
    await b.close()
  })

  test('the last close() really closes: no descriptor left on the file, and the WAL is truncated', async () => {
    const filename = tempFile()
    const adapters = [RustAdapter({ filename }), RustAdapter({ filename }), RustAdapter({ filename })]
    for (const adapter of adapters) await adapter.createUser(userFixture())
    for (const adapter of adapters) await adapter.close()
    expect(native.openAdaptersOn(filename)).toBe(0)
    expect(descriptorsOn(filename)).toEqual({ file: 0, wal: 0, shm: 0 })
    const wal = `${filename}-wal`
    expect(fs.existsSync(wal) ? fs.statSync(wal).size : 0).toBe(0)
  })

  test('after the last close(), a new adapter on the file opens it again', async () => {
    const filename = tempFile()
    const a = RustAdapter({ filename })
    const user = await a.createUser(userFixture())
    await a.close()
    const b = RustAdapter({ filename })
    expect(await b.getUser(user.id)).toEqual(user)
    await b.close()
  })

  test('closing one adapter twice gives back one share only', async () => {
    const filename = tempFile()
    const a = RustAdapter({ filename })
    const b = RustAdapter({ filename })
    await a.getUser('nobody')
    await b.getUser('nobody')
    await a.close()
    await a.close()
    expect(native.openAdaptersOn(filename)).toBe(1)
    expect(await b.getUser('nobody')).toBeNull()
    await b.close()
  })

  test('an adapter whose options differ (another secret) opens a store of its own', async () => {
    const filename = tempFile()
    const a = RustAdapter({ filename, secret: 'one' })
    await a.getUser('nobody')
    const one = descriptorsOn(filename)
    const b = RustAdapter({ filename, secret: 'two' })
    await b.getUser('nobody')
    const two = descriptorsOn(filename)
    expect(two.file).toBe(one.file * 2)
    // Each hashes session tokens with its own secret, as separate processes would.
    const user = await a.createUser(userFixture())
    await a.createSession({ sessionToken: 'tok', userId: user.id, expires: new Date(Date.now() + 60_000) })
    expect(await a.getSessionAndUser('tok')).not.toBeNull()
    expect(await b.getSessionAndUser('tok')).toBeNull()
    await a.close()
    await b.close()
  })

  test('adapters dropped without close() are released once collected: the file is closed', () => {
    const filename = tempFile()
    const result = runNode(
      `const { RustAdapter } = require('.')
       const native = require('./native.js')
       const fs = require('node:fs')
       const file = process.argv[1]
       const onFile = () => fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).startsWith(file) } catch { return false } }).length
       const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
       ;(async () => {
         for (let i = 0; i < 50; i++) await RustAdapter({ filename: file }).createUser({ id: 'u' + i })
         const held = { adapters: native.openAdaptersOn(file), descriptors: onFile() }
         for (let i = 0; i < 5 && native.openAdaptersOn(file) > 0; i++) { global.gc(); await sleep(20) }
         await sleep(50)
         console.log(JSON.stringify({ held, after: { adapters: native.openAdaptersOn(file), descriptors: onFile() } }))
       })()`,
      [filename],
    )
    expect(result.held.adapters).toBeGreaterThan(0)
    expect(result.after).toEqual({ adapters: 0, descriptors: 0 })
  })

  test('20 hot reloads (auth.ts and the package evaluated again, the old adapter dropped) leave one store', () => {
    const filename = tempFile()
    const result = runNode(
      `const fs = require('node:fs')
       const path = require('node:path')
       const file = process.argv[1]
       const onFile = () => fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).startsWith(file) } catch { return false } }).length
       const threads = () => fs.readdirSync('/proc/self/task').length
       // What next dev does on an edit: the module graph (here the package's JavaScript) is
       // evaluated again and auth.ts calls RustAdapter() again; the old adapter is not closed.
       const reload = () => {
         for (const key of Object.keys(require.cache)) if (!key.endsWith('.node') && key.startsWith(process.cwd() + path.sep) && !key.includes('node_modules')) delete require.cache[key]
         return require('.').RustAdapter({ filename: file })
       }
       ;(async () => {
         let adapter = reload()
         await adapter.createUser({ id: 'first' })
         const before = { descriptors: onFile(), threads: threads() }
         for (let i = 0; i < 20; i++) {
           adapter = reload()
           await adapter.getUser('first')
           await adapter.createUser({ id: 'u' + i })
         }
         // Measured before any collection: nothing may depend on the garbage collector here.
         console.log(JSON.stringify({ before, after: { descriptors: onFile(), threads: threads() } }))
       })()`,
      [filename],
    )
    expect(result.after).toEqual(result.before)
  })
})

describe('opened on first use', () => {
  test('RustAdapter() starts no thread and opens no descriptor', () => {
    const filename = tempFile()
    const before = threads()
    const adapters = Array.from({ length: 20 }, () => RustAdapter({ filename }))
    expect(threads()).toBe(before)
    expect(descriptorsOn(filename)).toEqual({ file: 0, wal: 0, shm: 0 })
    expect(adapters).toHaveLength(20)
  })

  test('a bad option still throws at once, before any call', () => {
    expect(() => RustAdapter({ filename: tempFile(), busyTimeout: 'soon' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/^INVALID_INPUT: config\.busyTimeout/) }),
    )
  })

  test('a malformed encryptionKey still throws at once, before any call', () => {
    expect(() => RustAdapter({ filename: tempFile(), encryptionKey: 'too-short' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    )
  })

  test('an argument error is reported without opening the file', async () => {
    const dir = tempDir()
    const adapter = RustAdapter({ filename: path.join(dir, 'auth.sqlite') })
    await expect(adapter.getUser(42)).rejects.toMatchObject({ code: 'INVALID_INPUT' })
    expect(fs.readdirSync(dir)).toEqual([])
  })
})
