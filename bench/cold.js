'use strict'
/**
 * Cold start, one measurement per process (started by run.js): from this process's start
 * (`performance.timeOrigin`, set as Node.js starts) to the first getSessionAndUser answered,
 * loading the contender's module, opening the file (creating the schema on a new one) and
 * preparing what it prepares all included, as a serverless instance pays them on a scale-up.
 *
 * The job arrives as JSON in argv[2]: { contender: 'rust' | 'floor' | 'nsqlite', filename,
 * synchronous, state: 'new' | 'existing', token, email, seedUsers }. On a new file (removed by
 * run.js beforehand) the token is unknown and the answer must be null; on an existing one it
 * must be the session of `email`'s user. With `seedUsers` (the preparation of the existing
 * file, not timed) the process then signs up that many users before it exits. Prints one JSON
 * line: { ms, startMs, loadMs } (startMs: process start → this script running, Node.js's own
 * start-up; loadMs: → the contender's module loaded; both since process start).
 */
const { performance } = require('node:perf_hooks')

/** Node.js's own start-up, the same for every contender: process start → this script runs. */
const startMs = performance.now()

async function main() {
  const job = JSON.parse(process.argv[2])
  const path = require('node:path')
  let adapter
  let close
  let loadMs
  if (job.contender === 'rust') {
    const { RustAdapter } = require(path.resolve(__dirname, '..'))
    loadMs = performance.now()
    adapter = RustAdapter({ filename: job.filename, synchronous: job.synchronous })
    close = () => adapter.close()
  } else {
    const schema = require('./lib/schema.js')
    let db
    if (job.contender === 'floor') {
      const Database = require('better-sqlite3')
      loadMs = performance.now()
      db = schema.openBetterSqlite(Database, job.filename, { synchronous: job.synchronous, secureDelete: true })
    } else if (job.contender === 'nsqlite') {
      require('node:sqlite')
      loadMs = performance.now()
      db = schema.openNodeSqlite(job.filename, { synchronous: job.synchronous })
    } else {
      throw new Error(`cold start: unknown contender ${job.contender}`)
    }
    if (job.state === 'new') db.exec(schema.FLOOR_SCHEMA)
    adapter = require('./lib/floor.js').FloorAdapter(db)
    close = async () => db.close()
  }
  const found = await adapter.getSessionAndUser(job.token)
  const ms = performance.now()
  if (job.state === 'new' ? found !== null : found?.user.email !== job.email) {
    throw new Error(`cold start (${job.state} file): wrong answer ${JSON.stringify(found)}`)
  }
  if (job.seedUsers) {
    const data = require('./lib/data.js')
    for (let i = 0; i < job.seedUsers; i++) {
      const user = await adapter.createUser(data.user(i))
      await adapter.linkAccount(data.account(i, user.id))
      await adapter.createSession(data.session(i, user.id))
    }
  }
  await close()
  return { ms, startMs, loadMs }
}

main().then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (e) => {
    process.stderr.write(`${e && e.stack ? e.stack : e}\n`)
    process.exit(1)
  },
)
