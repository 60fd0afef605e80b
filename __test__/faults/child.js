'use strict'
// One process of the fault suite. Runs the scenario named by argv[2] on the file argv[3] and
// prints one JSON object per line: {"ack": id} only after that write's Promise resolved,
// {"error": code} for a rejection, and scenario results. Runs until done or killed.
const path = require('node:path')
const { RustAdapter } = require(path.join(__dirname, '..', '..'))

const [scenario, filename, arg = ''] = process.argv.slice(2)
const say = (value) => process.stdout.write(`${JSON.stringify(value)}\n`)
const codeOf = (error) => (error && error.code) || String(error)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
// Over RLIMIT_FSIZE the kernel sends SIGXFSZ, which ends the process unless handled; handled,
// the write fails with EFBIG, as a full disk fails it with ENOSPC.
process.on('SIGXFSZ', () => {})

/**
 * Opens the adapter and reports `{ open: 'ok' | code }`; null when it was refused. The file is
 * opened by the adapter's first call (a read of a table this scenario leaves empty), so a
 * refusal is that call's rejection; a bad config would throw from RustAdapter() itself.
 */
async function open(config = {}) {
  try {
    const adapter = RustAdapter({ filename, sweepInterval: 0, ...config })
    await adapter.getSessionAndUser('open-probe')
    say({ open: 'ok' })
    return adapter
  } catch (error) {
    say({ open: codeOf(error), message: error.message })
    return null
  }
}

const outcome = (promise) => promise.then(() => 'ok', codeOf)

const scenarios = {
  /** Open, one read, one write, close: what each gave. */
  async probe() {
    const adapter = await open()
    if (!adapter) return
    say({ read: await outcome(adapter.getUser(arg || 'seed')) })
    await adapter.createUser({ id: `probe-${process.pid}` }).then(
      () => say({ write: 'ok' }),
      (error) => say({ write: codeOf(error), message: error.message }),
    )
    say({ close: await outcome(adapter.close()) })
  },

  /** Writes users of about 2 KB, four at a time, until one fails; then retries until one succeeds again. */
  async fill() {
    const adapter = await open()
    if (!adapter) return
    const name = 'n'.repeat(2000)
    let next = 0
    let failed = null
    while (!failed) {
      const ids = Array.from({ length: 4 }, () => `fill-${next++}`)
      await Promise.all(
        ids.map((id) =>
          adapter.createUser({ id, name }).then(
            () => say({ ack: id }),
            (error) => {
              failed = failed || error
            },
          ),
        ),
      )
    }
    say({ error: codeOf(failed), message: failed.message })
    // The parent frees space once it has seen the error; writes work again without a reopen.
    for (let i = 0; i < 400; i++) {
      const id = `after-${i}`
      if ((await outcome(adapter.createUser({ id, name: 'small' }))) === 'ok') {
        say({ ack: id, recovered: true })
        break
      }
      await sleep(25)
    }
    say({ close: await outcome(adapter.close()) })
  },

  /** Writes users forever, a few at a time; reports rejections and goes on. */
  async forever() {
    const adapter = await open()
    if (!adapter) return
    if (arg === 'close-on-sigterm') {
      process.on('SIGTERM', () => {
        adapter.close().then(
          () => process.exit(0),
          () => process.exit(3),
        )
      })
    }
    let next = 0
    for (;;) {
      const ids = Array.from({ length: 4 }, () => `${process.pid}-${next++}`)
      await Promise.all(
        ids.map((id) =>
          adapter.createUser({ id, name: id }).then(
            () => say({ ack: id }),
            (error) => say({ error: codeOf(error), message: error.message }),
          ),
        ),
      )
      await sleep(2)
    }
  },

  /** Writes sessions of about 1 KB without a checkpoint (a reader holds one open), then close(). */
  async 'close-after-many'() {
    const adapter = await open()
    if (!adapter) return
    await adapter.createUser({ id: 'owner' })
    const expires = new Date(Date.now() + 86_400_000)
    for (let i = 0; i < Number(arg); i++) {
      await adapter.createSession({ sessionToken: `t-${i}-${'x'.repeat(1000)}`, userId: 'owner', expires })
    }
    say({ written: Number(arg) })
    await new Promise(() => {}) // killed by the parent: the WAL stays as it is
  },

  /** Opens and closes: what close() said. */
  async 'open-close'() {
    const adapter = await open()
    if (!adapter) return
    say({ read: await outcome(adapter.getUser('owner')) })
    await adapter.close().then(
      () => say({ close: 'ok' }),
      (error) => say({ close: codeOf(error), message: error.message }),
    )
  },

  /**
   * Opens `arg` adapters on as many files, dropping each without close(), collecting now and
   * then; at the end, collects once more and reports the descriptors and threads left, beside
   * what the process had before the first adapter.
   */
  async dropped() {
    const count = Number(arg)
    const fs = require('node:fs')
    const usage = () => ({ descriptors: fs.readdirSync('/proc/self/fd').length, threads: fs.readdirSync('/proc/self/task').length })
    const before = usage()
    for (let i = 0; i < count; i++) {
      try {
        const adapter = RustAdapter({ filename: `${filename}-${i}.sqlite`, sweepInterval: i % 2 === 0 ? 0 : 60_000 })
        await adapter.createUser({ id: `u${i}` })
      } catch (error) {
        say({ failedAt: i, error: codeOf(error), message: error.message })
        return
      }
      if (i % 50 === 49) {
        global.gc()
        await sleep(20)
      }
    }
    global.gc()
    await sleep(100)
    say({ opened: count, before, after: usage() })
  },

  /** Opens adapters on as many files, keeping them (each opened by a call), until one fails. */
  async exhaust() {
    const kept = []
    for (let i = 0; ; i++) {
      try {
        const adapter = RustAdapter({ filename: `${filename}-${i}.sqlite`, sweepInterval: 0 })
        await adapter.getSessionAndUser('open-probe')
        kept.push(adapter)
      } catch (error) {
        say({ failedAt: i, error: codeOf(error), message: error.message })
        break
      }
    }
    // The ones open still work.
    say({ write: await outcome(kept[0].createUser({ id: 'still' })) })
  },
}

scenarios[scenario]().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${error && error.stack}\n`)
    process.exit(1)
  },
)
