'use strict'
/**
 * One replica process of the replica figures and race tests: a RustClientDb on its own file,
 * started as the README's snippet starts one (`register()`, then `live()` if it registered; the
 * first line says `registered`), driven by JSON lines on stdin; each answer is one JSON line on stdout
 * with the request's `id`. Times (`at`) are `performance.timeOrigin + performance.now()`, which
 * processes on one machine share.
 *
 *   { id, op: 'call', method, args }            a database method; answers { value } or { code }
 *   { id, op: 'until', token, present }          polls getSessionAndUser until the session is (not) accepted
 *   { id, op: 'untilName', userId, name }        polls getUser until the user has this name
 *   { id, op: 'reads', token, n }                n sequential getSessionAndUser calls; answers { us } per call and how many found it
 *   { id, op: 'take', keys }                     useVerificationToken on every key at once; answers { won }
 *   { id, op: 'pull' | 'flush' }                 the handle's pull() / flush(); answers {} or { code }
 *   { id, op: 'events', until }                  waits until the event `until` was emitted; answers { names } (every event so far)
 */
const readline = require('node:readline')
const { RustClientDb } = require('../..')

const [filename, hub, schema] = process.argv.slice(2)
const now = () => performance.timeOrigin + performance.now()
const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`)

async function main() {
  const replica = RustClientDb({ filename, hub, schema, sweepInterval: 0 })
  const db = replica.database
  const names = []
  const waiting = []
  for (const name of ['device:register', 'sync:live', 'sync:offline', 'unauthorized']) {
    await replica.event.subscribe(name, () => {
      names.push(name)
      for (const w of waiting.splice(0)) w()
    })
  }
  const reg = await replica.device.register()
  if (reg) await replica.live(reg.endpoints)
  reply({ id: 0, ready: true, registered: reg !== undefined })
  const handle = async (m) => {
    switch (m.op) {
      case 'call':
        try {
          return { value: await db[m.method](...m.args), at: now() }
        } catch (error) {
          return { code: error.code, message: error.message, at: now() }
        }
      case 'until':
        for (;;) {
          const found = await db.getSessionAndUser(m.token)
          if ((found !== null) === m.present) return { at: now() }
          await new Promise((resolve) => setImmediate(resolve))
        }
      case 'untilName':
        for (;;) {
          const user = await db.getUser(m.userId)
          if (user && user.name === m.name) return { at: now() }
          await new Promise((resolve) => setImmediate(resolve))
        }
      case 'reads': {
        let found = 0
        const started = now()
        for (let i = 0; i < m.n; i++) if ((await db.getSessionAndUser(m.token)) !== null) found++
        return { us: ((now() - started) * 1000) / m.n, found }
      }
      case 'take': {
        const outcomes = await Promise.all(m.keys.map((key) => db.useVerificationToken(key)))
        return { won: outcomes.flatMap((t, i) => (t === null ? [] : [i])) }
      }
      case 'events':
        while (!names.includes(m.until)) await new Promise((resolve) => waiting.push(resolve))
        return { names: [...names] }
      case 'pull':
      case 'flush':
        return replica[m.op]().then(
          () => ({}),
          (error) => ({ code: error.code, message: error.message }),
        )
      case 'close':
        await replica.device.deregister()
        await replica.close()
        setImmediate(() => process.exit(0))
        return {}
      default:
        return { code: 'UNKNOWN_OP' }
    }
  }
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const m = JSON.parse(line)
    handle(m).then((answer) => reply({ id: m.id, ...answer }))
  })
}

main().catch((error) => {
  reply({ id: 0, crashed: String(error && error.stack) })
  process.exit(1)
})
