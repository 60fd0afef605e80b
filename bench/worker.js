'use strict'
/**
 * One benchmark job in its own process (started by run.js): opens one contender on one
 * SQLite file (or, for the PostgreSQL contenders, one fresh schema of a server), runs the job,
 * and sends back the results with the process's peak RSS.
 *
 * The job arrives as JSON in argv[2]:
 *   { kind: 'suite',    contender, filename, synchronous, n, round, concurrency, ops, warm }
 *   { kind: 'suite',    contender, url, schema, n, round, concurrency, ops, warm }  (PostgreSQL)
 *   { kind: 'hot-read', contender, filename, synchronous, n, round, ops, warm }
 *   { kind: 'seed-file', filename, n }
 */

const fs = require('node:fs')
const { CONTENDERS } = require('./lib/contenders.js')
const { runSuite, runHotRead } = require('./lib/workloads.js')
const { seedRustFile } = require('./lib/seed.js')

/** Peak resident set size of this process in KiB (same as VmHWM in /proc/self/status). */
function peakRssKib() {
  return process.resourceUsage().maxRSS
}

async function main() {
  const job = JSON.parse(process.argv[2])
  if (job.kind === 'seed-file') {
    const started = Date.now()
    const info = await seedRustFile(job.filename, job.n, (line) => process.send({ log: line }))
    const cpu = process.cpuUsage()
    return { ...info, seconds: (Date.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }
  }
  const contender = CONTENDERS[job.contender]
  const fresh = job.kind === 'suite'
  if (fresh && job.filename) for (const suffix of ['', '-wal', '-shm']) fs.rmSync(job.filename + suffix, { force: true })
  const { adapter, close } = await contender.open(job.filename, {
    synchronous: job.synchronous,
    fresh,
    url: job.url,
    schema: job.schema,
  })
  const results = job.kind === 'suite' ? await runSuite(adapter, job) : await runHotRead(adapter, job)
  await close()
  const cpu = process.cpuUsage()
  return { results, rssKib: peakRssKib(), cpuSeconds: (cpu.user + cpu.system) / 1e6 }
}

main().then(
  (result) => process.send({ result }, () => process.exit(0)),
  (error) => process.send({ error: String(error && error.stack ? error.stack : error) }, () => process.exit(1)),
)
