'use strict'
// The database server runs out of space: a write is refused with DISK_FULL (the operator's cue
// to free space on the server), every row acknowledged before it is still there, and writes work
// again once there is room, without restarting Node.
//
// Two ways to fill the server's disk, like the SQLite fault suite: run as root (as CI does), a
// cluster of this file's own lives on a small tmpfs filled to the last byte (a real ENOSPC);
// run as anyone, the server's backends get a file-size limit (RLIMIT_FSIZE, which PostgreSQL
// meets as EFBIG: "could not extend file ... File too large", hint "Check free disk space").
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { RustAdapter, userFixture } = require('../helpers')
const { privateCluster } = require('./pg')

const ROOT = process.getuid() === 0
/** Each user carries this much incompressible text, so the server's files grow quickly. */
const PAYLOAD_BYTES = 256 * 1024

/** Creates users with large images until the server refuses one; the users it acknowledged, and the refusal. */
async function fillUntilRefused(adapter, limit = 400) {
  const acknowledged = []
  for (let i = 0; i < limit; i++) {
    const user = userFixture({ image: crypto.randomBytes(PAYLOAD_BYTES * 0.75).toString('base64') })
    try {
      acknowledged.push(await adapter.createUser(user))
    } catch (error) {
      return { acknowledged, error }
    }
  }
  throw new Error(`the server accepted ${limit} users of ${PAYLOAD_BYTES} bytes without running out of space`)
}

/** Every acknowledged user reads back whole. */
async function expectAllThere(adapter, users) {
  for (const user of users) {
    const read = await adapter.getUser(user.id)
    expect(read?.image).toBe(user.image)
  }
}

/** The server's processes: the postmaster (first line of postmaster.pid) and its children. */
function serverPids(dataDir) {
  const postmaster = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0].trim()
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', postmaster], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
  return { postmaster, children }
}

/** Runs `args` of prlimit as the server's user (root may not raise another user's limits here). */
function prlimitAsServer(args) {
  const runAs = process.env.AUTHJS_TEST_PG_RUNAS
  if (runAs) execFileSync('runuser', ['-u', runAs, '--', 'prlimit', ...args])
  else execFileSync('prlimit', args)
}

const ways = [
  {
    name: 'a server under a file-size limit (RLIMIT_FSIZE: EFBIG)',
    async setup() {
      const cluster = privateCluster()
      const own = await cluster.start()
      // Above a WAL segment (16 MiB), so only the growing table files reach it. Set on the
      // postmaster, so the backends it forks from now on (the adapter's connections) inherit
      // it; PostgreSQL ignores SIGXFSZ, so a write past it fails with EFBIG.
      const limit = 20 * 1024 * 1024
      prlimitAsServer(['--pid', serverPids(own.dataDir).postmaster, `--fsize=${limit}:unlimited`])
      return {
        url: own.url,
        free() {
          const { postmaster, children } = serverPids(own.dataDir)
          for (const pid of [postmaster, ...children]) {
            try {
              prlimitAsServer(['--pid', pid, '--fsize=unlimited:unlimited'])
            } catch {
              // a process of the server that ended meanwhile
            }
          }
        },
        stop: () => cluster.stop(),
      }
    },
  },
]
if (ROOT) {
  ways.push({
    name: 'a full 96 MiB tmpfs (ENOSPC)',
    async setup() {
      const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'authjs-pg-tmpfs-'))
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=1777', 'tmpfs', mount])
      const cluster = privateCluster()
      const own = await cluster.start({ parent: mount })
      const filler = path.join(mount, 'filler')
      return {
        url: own.url,
        fill() {
          // Every free byte of the file system, in 1 MiB and then 4 KiB steps, until ENOSPC;
          // then 2 MiB given back, so a few users fit before the disk is full.
          const fd = fs.openSync(filler, 'w')
          let written = 0
          try {
            for (const size of [1 << 20, 4096]) {
              const block = Buffer.alloc(size, 1)
              try {
                for (;;) written += fs.writeSync(fd, block)
              } catch (error) {
                if (error.code !== 'ENOSPC') throw error
              }
            }
            fs.ftruncateSync(fd, written - 2 * 1024 * 1024)
          } finally {
            fs.closeSync(fd)
          }
        },
        free: () => fs.rmSync(filler),
        async stop() {
          await cluster.stop()
          execFileSync('umount', ['-l', mount])
          fs.rmSync(mount, { recursive: true, force: true })
        },
      }
    },
  })
}

describe.each(ways)('the server runs out of space: $name', (way) => {
  let server
  let adapter
  beforeAll(async () => {
    server = await way.setup()
    adapter = RustAdapter({ url: server.url, schema: 'disk_full', poolSize: 2 })
    await adapter.getUser('warm-up')
  }, 60000)
  afterAll(async () => {
    await adapter?.close()
    await server?.stop()
  })

  test('a write is refused with DISK_FULL, the rows acknowledged before it are all there, and writes work again once there is room', async () => {
    server.fill?.()
    const { acknowledged, error } = await fillUntilRefused(adapter)
    expect(acknowledged.length).toBeGreaterThan(0)
    console.log(`${way.name}: ${acknowledged.length} users of ${PAYLOAD_BYTES} bytes acknowledged, then ${error.code}: ${error.message}`)
    expect(error).toMatchObject({ code: 'DISK_FULL' })
    expect(error.message).toMatch(/disk is full/)
    await expectAllThere(adapter, acknowledged)

    server.free()
    const after = userFixture()
    await expect(adapter.createUser(after)).resolves.toMatchObject({ id: after.id })
    await expectAllThere(adapter, [...acknowledged, after])
  })
})
