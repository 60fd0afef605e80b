'use strict'
/**
 * bench/RESULTS.md, written by a full `npm run bench`, and bench/RESULTS-postgres.md, written
 * by a full `npm run bench -- --backend postgres`.
 */

function render({ PLAN, synchronous, env, loadNote, busy, suiteTable, rss, scaleTable, httpTable = [], coldTable = [], nodeSqliteNote = '', verdicts, report, quick }) {
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
        ['Node.js', env.childNode && env.childNode !== env.node?.replace(/^v/, '') ? `${env.childNode} (measured processes; the orchestrator ran on ${env.node})` : env.node],
        ['authjs-rust-adapter', `commit ${env.commit}; release build (${env.releaseBinary}); SQLite ${env.rustSqlite}`],
        ['better-sqlite3', `${env.betterSqlite3} (SQLite ${env.betterSqliteSqlite})`],
        ['drizzle', `drizzle-orm ${env.drizzleOrm}, @auth/drizzle-adapter ${env.drizzleAdapter}`],
        ['kysely', `kysely ${env.kysely}, @auth/kysely-adapter ${env.kyselyAdapter}`],
        ['HTTP part', `express ${env.express}, @auth/express ${env.authExpress} (@auth/core ${env.authCore}), autocannon ${env.autocannon}`],
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
    '- **floor (raw node:sqlite)**: the same floor adapter (same statements, schema, indexes, token hashing, `secure_delete`) on Node.js\'s built-in `node:sqlite` `DatabaseSync`.' + (nodeSqliteNote ? ` ${nodeSqliteNote}` : ''),
    '- "one call per event-loop turn": each call is made after a `setImmediate`, as a server\'s requests each arrive in a turn of their own; "sequential" chains calls as soon as the previous Promise settled. Sign-up chain: createUser → linkAccount → createSession awaited in turn, one new user after the other, one sample per chain. "vs better floor": against the faster of the two raw floors in that workload.',
    '- **drizzle-adapter**: `@auth/drizzle-adapter` with the SQLite schema of its docs (bench/lib/drizzle-schema.mjs) on better-sqlite3. **kysely-adapter**: `@auth/kysely-adapter` with Kysely\'s `SqliteDialect` on better-sqlite3, tables as in its docs plus a unique index on Account(provider, providerAccountId).',
    `- Suite: ${fmtInt(PLAN.n)} users seeded (each with an account and a session), ${PLAN.rounds} interleaved rounds (each round runs every contender once, in rotated order, in a fresh process on a fresh file). Throughput is the median of the rounds' ops/s; p50 and p99 are each the median of the rounds' values. Reads use ${fmtInt(PLAN.ops.read)} random picks per pass (after a ${fmtInt(PLAN.warm.read)}-call warm-up); the write mix runs ${fmtInt(PLAN.ops.mix)} (sequential) and ${fmtInt(PLAN.ops.mix64)} (64 in flight) create→update→delete chains; ${fmtInt(PLAN.ops.tokens)} token pairs.`,
    '- "64 in flight": 64 concurrent callers, each issuing its next call when the previous one settled. Latency is from the call to its Promise settling, queueing included.',
    '- Peak RSS: `process.resourceUsage().maxRSS` of each contender\'s process at the end of its suite (seeding included), median over rounds.',
    `- Scale: the hot read alone (getSessionAndUser, ${fmtInt(PLAN.scaleOps)} tokens after ${fmtInt(PLAN.scaleWarm)} warm-up calls, ${PLAN.scaleRounds} rounds) on files bulk-seeded with better-sqlite3 (RustAdapter creates the schema; rows are written as it writes them), read by RustAdapter and the floor from the same file. Tokens are drawn uniformly (sequential calls; information only: at 1M users it measures cache misses) and from a Zipf-like distribution (s = 1.1: rank r picked with probability proportional to 1 / r^1.1, ranks scattered over the users by a fixed permutation, the same seeded picks for every contender), sequentially and one call per event-loop turn. RustAdapter also reads it a second time with its opt-in memory map (\`mmapSize: 2 ** 30\`); the target is judged on the default.`,
    `- HTTP: \`GET /auth/session\` with a signed-in cookie (a database session of one of ${fmtInt(PLAN.http.n)} seeded users, picked uniformly by a seeded PRNG) on the Express demo stack: express 5 with \`@auth/express\` at /auth, \`session: { strategy: "database" }\`, the session callback of examples/express. One server process per contender, load from autocannon in the orchestrator's process (${PLAN.http.connections} keep-alive connections, one request in flight on each; ${fmtInt(PLAN.http.warm)} warm-up requests, then ${fmtInt(PLAN.http.amount)} measured, ${PLAN.http.rounds} interleaved rounds). Every answer is checked: a 200 whose session JSON names the cookie's user. "vs floor" is the median of the per-round ratios. "Server CPU µs / request" is the server process's CPU time in the measured window over its requests; "getSessionAndUser µs" is the median time from a call to its Promise settling, timed inside the server (Auth.js makes one call per request; the run checks it), and "adapter share of server CPU" is the quotient of the two: an upper bound, since the timing includes its own wrapper and any microtasks that ran before the continuation (the null adapter's figure shows that floor). The null adapter answers from JavaScript Maps in the server's memory; "adapter share by req/s" is 1 − the contender's req/s ÷ the null adapter's (median of per-round ratios), which carries the noise of the machine. Latency is autocannon's, in whole milliseconds.`,
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
  if (httpTable.length) {
    lines.push('### HTTP end to end: GET /auth/session on Express', '', mdTable(report.HTTP_HEADER, httpTable), '')
  }
  if (coldTable.length) {
    lines.push(
      '### Cold start',
      '',
      `From the process's start (\`performance.timeOrigin\`) to the first getSessionAndUser answered, in a fresh process each time (${PLAN.coldRounds} interleaved rounds): module load, open, schema creation on a new file, statements prepared. The existing file holds ${fmtInt(PLAN.coldUsers)} users signed up by the same contender.`,
      '',
      mdTable(report.COLD_HEADER, coldTable),
      '',
    )
  }
  lines.push('## Targets (issue 22)', '', mdTable(report.TARGET_HEADER, verdicts.rows), '')
  return `${lines.join('\n')}\n`
}

/** bench/RESULTS-postgres.md: the `--backend postgres` run. */
function renderPostgres({ PLAN, synchronous, env, loadNote, busy, durability, suiteTable, rss, backendTable, summary, report, quick }) {
  const { mdTable, fmtInt } = report
  const sync = synchronous.toUpperCase()
  const server = env.server
  const lines = [
    '# Benchmark results: PostgreSQL backend',
    '',
    `Written by \`npm run bench -- --backend postgres\`${quick ? ' --quick' : ''} on ${env.date.slice(0, 10)}; do not edit by hand, run it again.`,
    'How the benchmark works and how to read it: [README.md](README.md); the SQLite comparison with the JavaScript adapters: [RESULTS.md](RESULTS.md).',
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
        ['Node.js', env.childNode && env.childNode !== env.node?.replace(/^v/, '') ? `${env.childNode} (measured processes; the orchestrator ran on ${env.node})` : env.node],
        ['authjs-rust-adapter', `commit ${env.commit}; release build (${env.releaseBinary}); SQLite ${env.rustSqlite}`],
        ['PostgreSQL server', `${server.version}: ${server.where}`],
        ['server settings', `fsync=${server.fsync}, synchronous_commit=${server.synchronous_commit}, full_page_writes=${server.full_page_writes}, shared_buffers=${server.shared_buffers}`],
        ['node-postgres', `pg ${env.nodePostgres}`],
      ],
    ),
    '',
    `${loadNote}${busy ? ` **Other processes were running on the ${env.cores} cores during this run** (other jobs on a shared machine), so the numbers carry their noise; ratios measured in the same interleaved rounds are more trustworthy than absolute numbers.` : ''}`,
    '',
    '## Setup',
    '',
    `- **RustAdapter (PostgreSQL)**: \`RustAdapter({ url, schema, sweepInterval: 0 })\`, default pool of ${env.poolSize} connections, each round in a fresh schema that its own migrations create (before the clock starts).`,
    `- **pg-floor**: the same operations as hand-written node-postgres statements, no ORM (bench/lib/pg-floor.js): RustAdapter's PostgreSQL tables (migration 1 of src/store/postgres/sql.rs: bigint epoch-ms dates, jsonb extra, sessions keyed by the SHA-256 of the token), named prepared statements, a \`pg.Pool\` of ${env.poolSize} connections kept open, one JOIN for getSessionAndUser, \`… RETURNING\` for session updates/deletes and tokens, each an \`async\` method returning Auth.js shapes. It hashes session tokens like RustAdapter, so both do the same work.`,
    `- **RustAdapter (SQLite)**: RustAdapter on a fresh SQLite file in WAL mode with \`synchronous = ${sync}\`, opened exactly as in the default run, measured in the same rounds so the two backends can be compared.`,
    `- ${durability}`,
    '- The server runs on the same machine as the benchmark, so its processes take CPU from the same cores as the adapter\'s process; a call to it is a round trip over loopback TCP, where SQLite is a call into the same process.',
    `- Suite: ${fmtInt(PLAN.n)} users seeded (each with an account and a session), ${PLAN.rounds} interleaved rounds (each round runs every contender once, in rotated order, in a fresh process on a fresh schema or file). Throughput is the median of the rounds' ops/s; p50 and p99 are each the median of the rounds' values. Reads use ${fmtInt(PLAN.ops.read)} random picks per pass (after a ${fmtInt(PLAN.warm.read)}-call warm-up); the write mix runs ${fmtInt(PLAN.ops.mix)} (sequential) and ${fmtInt(PLAN.ops.mix64)} (64 in flight) create→update→delete chains; ${fmtInt(PLAN.ops.tokens)} token pairs.`,
    '- "64 in flight": 64 concurrent callers, each issuing its next call when the previous one settled. Latency is from the call to its Promise settling, queueing included.',
    '- "Time per op" is 1 / median throughput: for sequential workloads the mean time of a call, with 64 in flight the amortised time per call at that concurrency.',
    '- Peak RSS: `process.resourceUsage().maxRSS` of each contender\'s process (the PostgreSQL server\'s memory is not in it), median over rounds.',
    '- No scale part (1M users) in this run; the drizzle and kysely adapters are not run either.',
    '',
    '## Results',
    '',
    mdTable(report.PG_SUITE_HEADER, suiteTable),
    '',
    '### PostgreSQL against the floor and against SQLite',
    '',
    mdTable(report.BACKEND_HEADER, backendTable),
    '',
    ...summary.flatMap((line) => [line, '']),
    '### Peak RSS',
    '',
    mdTable(['adapter', 'peak RSS of its process (median of rounds)', 'vs pg-floor'], rss),
    '',
  ]
  return `${lines.join('\n')}\n`
}

module.exports = { render, renderPostgres }
