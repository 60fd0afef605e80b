'use strict'
/** bench/RESULTS.md, written by a full `npm run bench`. */

function render({ PLAN, synchronous, env, loadNote, busy, suiteTable, rss, scaleTable, verdicts, report, quick }) {
  const { mdTable, fmtInt } = report
  const sync = synchronous.toUpperCase()
  const lines = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\`${quick ? ' --quick' : ''} on ${env.date.slice(0, 10)}; do not edit by hand, run it again.`,
    'How the benchmark works and how to read it: [README.md](README.md).',
    '',
    '## Machine and software',
    '',
    mdTable(
      ['', ''],
      [
        ['date', env.date],
        ['CPU', `${env.cpuModel}, ${env.cores} cores`],
        ['memory', `${env.memoryGiB.toFixed(0)} GiB`],
        ['OS', env.kernel],
        ['Node.js', env.node],
        ['authjs-rust-adapter', `commit ${env.commit}; release build (${env.releaseBinary}); SQLite ${env.rustSqlite}`],
        ['better-sqlite3', `${env.betterSqlite3} (SQLite ${env.betterSqliteSqlite})`],
        ['drizzle', `drizzle-orm ${env.drizzleOrm}, @auth/drizzle-adapter ${env.drizzleAdapter}`],
        ['kysely', `kysely ${env.kysely}, @auth/kysely-adapter ${env.kyselyAdapter}`],
      ],
    ),
    '',
    `${loadNote}${busy ? ` **Other processes were running on the ${env.cores} cores during this run** (other jobs on a shared machine), so the numbers carry their noise; ratios measured in the same interleaved rounds are more trustworthy than absolute numbers.` : ''}`,
    '',
    '## Setup',
    '',
    `- Every contender runs in its own child process on its own SQLite file in WAL mode with \`PRAGMA synchronous = ${sync}\`` +
      (sync === 'FULL' ? ' (RustAdapter\'s default is FULL; every peer is set the same).' : ` (RustAdapter's default is FULL; this run set ${sync} for all).`) +
      ' All better-sqlite3 connections also get RustAdapter\'s 16 MiB page cache, `foreign_keys = ON` and a 5 s busy timeout.',
    '- **floor**: the same operations as hand-written better-sqlite3 prepared statements, no ORM, on RustAdapter\'s schema shape (dates as integer ms, one JOIN for getSessionAndUser, DELETE … RETURNING for tokens), each wrapped as an `async` method returning Auth.js shapes. Like RustAdapter it stores session tokens as SHA-256 hashes and runs with `secure_delete = ON`, so it does the same work.',
    '- **drizzle-adapter**: `@auth/drizzle-adapter` with the SQLite schema of its docs (bench/lib/drizzle-schema.mjs) on better-sqlite3. **kysely-adapter**: `@auth/kysely-adapter` with Kysely\'s `SqliteDialect` on better-sqlite3, tables as in its docs plus a unique index on Account(provider, providerAccountId).',
    `- Suite: ${fmtInt(PLAN.n)} users seeded (each with an account and a session), ${PLAN.rounds} interleaved rounds (each round runs every contender once, in rotated order, in a fresh process on a fresh file). Throughput is the median of the rounds' ops/s; p50 and p99 are each the median of the rounds' values. Reads use ${fmtInt(PLAN.ops.read)} random picks per pass (after a ${fmtInt(PLAN.warm.read)}-call warm-up); the write mix runs ${fmtInt(PLAN.ops.mix)} (sequential) and ${fmtInt(PLAN.ops.mix64)} (64 in flight) create→update→delete chains; ${fmtInt(PLAN.ops.tokens)} token pairs.`,
    '- "64 in flight": 64 concurrent callers, each issuing its next call when the previous one settled. Latency is from the call to its Promise settling, queueing included.',
    '- Peak RSS: `process.resourceUsage().maxRSS` of each contender\'s process at the end of its suite (seeding included), median over rounds.',
    `- Scale: the hot read alone (getSessionAndUser, sequential, ${fmtInt(PLAN.scaleOps)} random tokens after ${fmtInt(PLAN.scaleWarm)} warm-up calls, ${PLAN.scaleRounds} rounds) on files bulk-seeded with better-sqlite3 (RustAdapter creates the schema; rows are written as it writes them), read by RustAdapter and the floor from the same file.`,
    '',
    '## Results',
    '',
    mdTable(report.SUITE_HEADER, suiteTable),
    '',
    '### Peak RSS',
    '',
    mdTable(report.RSS_HEADER, rss),
    '',
  ]
  if (scaleTable.length) {
    lines.push('### Hot read at scale', '', mdTable(report.SCALE_HEADER, scaleTable), '')
  }
  lines.push('## Targets (issue 4)', '', mdTable(report.TARGET_HEADER, verdicts.rows), '')
  return `${lines.join('\n')}\n`
}

module.exports = { render }
