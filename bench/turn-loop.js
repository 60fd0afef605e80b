'use strict'
/**
 * The per-turn hot read alone, for instruction counts: `node bench/turn-loop.js <contender>
 * <file> <calls>` opens `file` (seeded beforehand by `--seed <users>`) with one contender
 * (`rust`, `floor` or `nsqlite`) and makes `calls` getSessionAndUser calls, one per event-loop
 * turn (`setImmediate` before each), each answer checked, after 2,000 such warm-up calls.
 *
 * Run it twice under `valgrind --tool=callgrind` with two call counts: the difference of the two
 * totals divided by the difference of the counts is the instructions one call costs, with
 * process start, module load, open and warm-up cancelled out. Instruction counts do not depend
 * on what else the machine runs, unlike wall-clock time. Seeding: `node bench/turn-loop.js
 * <contender> <file> --seed <users>` (users signed up sequentially by that contender).
 * RustAdapter loads the build NAPI_RS_NATIVE_LIBRARY_PATH names (e.g. an unstripped one).
 * TURN_LOOP_CALL=getUserByEmail makes the calls getUserByEmail instead.
 */
const path = require('node:path')
const data = require('./lib/data.js')
const { nextTurn } = require('./lib/measure.js')

async function open(contender, filename, fresh) {
  if (contender === 'rust') {
    const { RustAdapter } = require(path.resolve(__dirname, '..'))
    const adapter = RustAdapter({ filename })
    return { adapter, close: () => adapter.close() }
  }
  return require('./lib/contenders.js').CONTENDERS[contender].open(filename, { synchronous: 'full', fresh })
}

async function main([contender, filename, arg, value]) {
  if (arg === '--seed') {
    const { adapter, close } = await open(contender, filename, true)
    for (let i = 0; i < Number(value); i++) {
      const user = await adapter.createUser(data.user(i))
      await adapter.linkAccount(data.account(i, user.id))
      await adapter.createSession(data.session(i, user.id))
    }
    return close()
  }
  const calls = Number(arg)
  const { adapter, close } = await open(contender, filename, false)
  const users = Number(process.env.TURN_LOOP_USERS ?? 1000)
  const picks = data.picks(4242, calls + 2000, users)
  const tokens = Array.from(picks, (k) => data.uuidFor('session', k))
  const byEmail = process.env.TURN_LOOP_CALL === 'getUserByEmail'
  for (let i = 0; i < picks.length; i++) {
    await nextTurn()
    const email = `user${picks[i]}@example.com`
    if (byEmail) {
      const user = await adapter.getUserByEmail(email)
      if (user === null || user.email !== email) throw new Error(`wrong answer #${i}`)
    } else {
      const found = await adapter.getSessionAndUser(tokens[i])
      if (found === null || found.user.email !== email) throw new Error(`wrong answer #${i}`)
    }
  }
  return close()
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : e}\n`)
  process.exit(1)
})
