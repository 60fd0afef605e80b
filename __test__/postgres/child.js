'use strict'
/**
 * One competing process of the PostgreSQL race tests. Reads a job from argv (JSON), runs it on
 * its own RustAdapter, prints one JSON line with what it saw, and exits.
 *
 *   { config, take: [{ identifier, token }] }   useVerificationToken on each: prints the indexes won
 *   { config, createUser: user }                prints { ok } or { code }
 *   { config, touch: true }                     opens the store (first call migrates) and reads once
 * A `start` time (epoch ms) makes every process begin at the same moment.
 */
const { RustAdapter } = require('../..')

async function main() {
  const job = JSON.parse(process.argv[2])
  const adapter = RustAdapter(job.config)
  if (job.start) await new Promise((resolve) => setTimeout(resolve, Math.max(0, job.start - Date.now())))
  let result
  if (job.take) {
    const outcomes = await Promise.all(job.take.map((key) => adapter.useVerificationToken(key)))
    result = { won: outcomes.flatMap((token, i) => (token === null ? [] : [i])) }
  } else if (job.createUser) {
    result = await adapter.createUser(job.createUser).then(
      () => ({ ok: true }),
      (error) => ({ code: error.code, message: error.message }),
    )
  } else if (job.touch) {
    result = { user: await adapter.getUser('nobody-has-this-id') }
  }
  await adapter.close()
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ crashed: String(error && error.stack) })}\n`)
  process.exit(1)
})
