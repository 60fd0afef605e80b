// @ts-check
'use strict'
/**
 * The command line (`npx authjs-rust-adapter <command>`): statistics, checks, migrations,
 * pruning, key rotation, and moving rows in and out (`export`, `import`). Arguments are parsed
 * by commander, long work shows a cli-progress bar on a terminal. The rows move as stored
 * (hashed session tokens, sealed OAuth tokens) through the native `exportRows` /
 * `importRows` (see `src/core/portable.rs`); imports from other Auth.js adapters live in
 * `cli-peers.js`. Documented in docs/cli.md.
 */

const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')
const { Command, Option, CommanderError } = require('commander')
const { loadNative } = require('./load.js')
const { withDatabaseUrl } = require('./config.js')
const { openNative } = require('./adapter.js')
const { codedError, withCode, RustAdapterError, awaitCoded: native } = require('./errors.js')

/** Exit codes scripts can rely on (docs/cli.md). */
const EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2, PROBLEMS: 3 })

/** The export file's first line names its format and version. */
const FORMAT = 'authjs-rust-adapter-export'
const FORMAT_VERSION = 1

/** Tables in the order rows are written (users before what refers to them). */
const TABLES = ['users', 'accounts', 'sessions', 'verification_tokens', 'authenticators']

/** An import's SQLite page cache, in KiB (128 MiB: bounded, whatever the number of rows). */
const BULK_CACHE_KIB = 131072

/** Rows per native call. */
const BATCH = 1000

/**
 * @typedef {{ filename?: string, url?: string, schema?: string, tablePrefix?: string,
 *   secret?: string, encryptionKey?: string[], json?: boolean }} StoreOptions
 * @typedef {{ write: (text: string) => void, isTTY?: boolean }} Out
 * @typedef {{ stdout: Out, stderr: Out, env: NodeJS.ProcessEnv }} Io
 */

/**
 * The adapter configuration the options name: `--filename` or `--url`, else `DATABASE_URL`.
 * The sweeper stays off: a command must not delete rows behind its own back.
 *
 * @param {StoreOptions} opts
 * @param {NodeJS.ProcessEnv} env
 * @param {boolean} [bulk] an import: SQLite commits without waiting for the disk (`synchronous:
 *   'normal'`; closing the store at the end still writes everything to the file), with a
 *   larger page cache (a batch's rows land all over the tables' b-trees)
 * @returns {import('./config').AdapterConfig}
 */
function storeConfig(opts, env, bulk = false) {
  /** @type {Record<string, unknown>} */
  const config = { sweepInterval: 0 }
  if (opts.filename !== undefined && opts.url !== undefined) {
    throw codedError('INVALID_INPUT', '--filename and --url name two databases; give one')
  }
  if (opts.filename !== undefined) {
    config.filename = opts.filename
    if (bulk) {
      config.synchronous = 'normal'
      config.cacheSize = BULK_CACHE_KIB
    }
  }
  else if (opts.url !== undefined) config.url = opts.url
  else if (env.DATABASE_URL && /^postgres(ql)?:\/\//i.test(env.DATABASE_URL)) config.url = env.DATABASE_URL
  else throw codedError('INVALID_INPUT', 'no database: give --filename <file>, --url <postgres url> or set DATABASE_URL')
  if (opts.schema !== undefined) config.schema = opts.schema
  if (opts.tablePrefix !== undefined) config.tablePrefix = opts.tablePrefix
  if (opts.secret !== undefined) config.secret = opts.secret
  const keys = opts.encryptionKey ?? []
  if (keys.length > 0) config.encryptionKey = keys.length === 1 ? keys[0] : keys
  return /** @type {import('./config').AdapterConfig} */ (withDatabaseUrl(/** @type {any} */ (config)))
}

/**
 * A progress bar with rate and ETA on a terminal (stderr), nothing otherwise.
 *
 * @param {Io} io
 * @param {boolean} quiet
 * @param {number} total
 * @param {string} label
 */
function progress(io, quiet, total, label) {
  if (quiet || !io.stderr.isTTY) return { add: (/** @type {number} */ _n) => {}, stop: () => {} }
  const { SingleBar, Presets } = require('cli-progress')
  const bar = new SingleBar(
    {
      format: `${label} {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}`,
      stream: /** @type {NodeJS.WritableStream} */ (/** @type {unknown} */ (io.stderr)),
      etaBuffer: 50,
      hideCursor: true,
    },
    Presets.shades_classic,
  )
  const started = Date.now()
  let done = 0
  bar.start(Math.max(total, 1), 0, { rate: 0 })
  return {
    add(/** @type {number} */ n) {
      done += n
      const seconds = Math.max((Date.now() - started) / 1000, 0.001)
      bar.update(done, { rate: Math.round(done / seconds) })
    },
    stop: () => bar.stop(),
  }
}

/**
 * Opens the store, runs `work` with it, closes it.
 *
 * @template T
 * @param {StoreOptions} opts
 * @param {Io} io
 * @param {(store: import('../native').Handle, n: typeof import('../native')) => Promise<T>} work
 * @param {boolean} [bulk] see `storeConfig`
 * @returns {Promise<T>}
 */
async function withStore(opts, io, work, bulk = false) {
  const n = loadNative()
  const store = openNative(storeConfig(opts, io.env, bulk))
  try {
    return await work(store, n)
  } finally {
    await n.close(store).catch(() => {})
  }
}

/**
 * @param {import('../native').Handle} store
 * @param {typeof import('../native')} n
 * @returns {Promise<any>}
 */
async function statsOf(store, n) {
  return JSON.parse(await native(() => n.storeStats(store)))
}

/**
 * @param {any} stats
 * @returns {number}
 */
const rowCount = (stats) => TABLES.reduce((sum, t) => sum + Number(stats.rows[t] ?? 0), 0)

/**
 * Writes the export: a header line, then one line per stored row, table after table.
 *
 * @param {StoreOptions & { to: string }} opts
 * @param {Io} io
 */
async function exportTo(opts, io) {
  return withStore(opts, io, async (store, n) => {
    const stats = await statsOf(store, n)
    const partial = `${opts.to}.partial`
    const out = fs.createWriteStream(partial, { flags: 'w' })
    const failed = new Promise((_, reject) => out.once('error', reject))
    failed.catch(() => {})
    /** @param {string} text */
    const write = async (text) => {
      if (!out.write(text)) await Promise.race([new Promise((resolve) => out.once('drain', resolve)), failed])
    }
    const bar = progress(io, Boolean(opts.json), rowCount(stats), 'export')
    /** @type {Record<string, number>} */
    const written = {}
    try {
      const header = {
        format: FORMAT,
        version: FORMAT_VERSION,
        exportedAt: new Date().toISOString(),
        backend: stats.backend,
        schemaVersion: stats.schemaVersion,
        // Whether session tokens were hashed with a secret: an import without one (or with
        // one into what had none) would sign everybody out, so it is refused.
        secret: opts.secret !== undefined,
        rows: stats.rows,
      }
      await write(`${JSON.stringify(header)}\n`)
      for (const table of TABLES) {
        written[table] = 0
        /** @type {string | null} */
        let after = null
        for (;;) {
          const lines = await native(() => n.exportRows(store, table, after, BATCH))
          if (lines.length === 0) break
          await write(`${lines.join('\n')}\n`)
          written[table] += lines.length
          bar.add(lines.length)
          const last = JSON.parse(lines[lines.length - 1])
          after = JSON.stringify(keyOf(table, last))
          if (lines.length < BATCH) break
        }
      }
      await new Promise((resolve, reject) => out.end(() => resolve(undefined)).once('error', reject))
      fs.renameSync(partial, opts.to)
    } catch (error) {
      out.destroy()
      fs.rmSync(partial, { force: true })
      throw error
    } finally {
      bar.stop()
    }
    return { to: path.resolve(opts.to), rows: written }
  })
}

/**
 * The key columns' values of a stored row (see `Table::key` in src/core/portable.rs).
 *
 * @param {string} table
 * @param {any} row
 */
function keyOf(table, row) {
  switch (table) {
    case 'users':
      return [row.id]
    case 'accounts':
      return [row.provider, row.provider_account_id]
    case 'sessions':
      return [row.session_token_hash]
    case 'verification_tokens':
      return [row.identifier, row.token]
    default:
      return [row.credential_id]
  }
}

/**
 * Reads an export file line by line: the header first, then `{ table, lines }` batches.
 *
 * @param {string} file
 * @returns {AsyncGenerator<{ header: any } | { table: string, lines: string[] }>}
 */
async function* readExport(file) {
  let stream
  try {
    fs.accessSync(file, fs.constants.R_OK)
    stream = fs.createReadStream(file, { encoding: 'utf8' })
  } catch (error) {
    throw codedError('INVALID_INPUT', `--source ${file}: cannot be read (${/** @type {any} */ (error).code ?? error})`)
  }
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity })
  let number = 0
  /** @type {string | null} */
  let table = null
  /** @type {string[]} */
  let batch = []
  for await (const line of lines) {
    number += 1
    if (line.trim() === '') continue
    let row
    try {
      row = JSON.parse(line)
    } catch {
      throw codedError('INVALID_INPUT', `${file}: line ${number} is not JSON`)
    }
    if (number === 1) {
      if (row?.format !== FORMAT) {
        throw codedError('INVALID_INPUT', `${file}: line 1 is not an ${FORMAT} header (was the file written by \`authjs-rust-adapter export\`?)`)
      }
      if (row.version !== FORMAT_VERSION) {
        throw codedError('INVALID_INPUT', `${file}: format version ${row.version} is not known to this version (knows ${FORMAT_VERSION}); upgrade the package`)
      }
      yield { header: row }
      continue
    }
    if (!TABLES.includes(row?.model)) {
      throw codedError('INVALID_INPUT', `${file}: line ${number}: model must be one of ${TABLES.join(', ')} (got ${JSON.stringify(row?.model)})`)
    }
    if (row.model !== table || batch.length >= BATCH) {
      if (table && batch.length > 0) yield { table, lines: batch }
      if (row.model !== table && table && TABLES.indexOf(row.model) < TABLES.indexOf(table)) {
        throw codedError('INVALID_INPUT', `${file}: line ${number}: ${row.model} rows must come before ${table} rows`)
      }
      table = row.model
      batch = []
    }
    batch.push(line)
  }
  if (number === 0) throw codedError('INVALID_INPUT', `${file}: the file is empty`)
  if (table && batch.length > 0) yield { table, lines: batch }
}

/**
 * Refuses a target that holds rows unless `merge`; answers whether it was empty.
 *
 * @param {any} stats
 * @param {boolean} merge
 */
function refuseNonEmpty(stats, merge) {
  const count = rowCount(stats)
  if (count > 0 && !merge) {
    const held = TABLES.filter((t) => stats.rows[t] > 0).map((t) => `${stats.rows[t]} ${t}`).join(', ')
    throw codedError(
      'TARGET_NOT_EMPTY',
      `the target already holds rows (${held}); import into an empty database, or pass --merge to keep its rows and add the others (each conflict is reported)`,
    )
  }
  return count === 0
}

/**
 * Runs an import's writes; into a target that was empty, a failure deletes what it wrote, so
 * the target is left as it was.
 *
 * @template T
 * @param {import('../native').Handle} store
 * @param {typeof import('../native')} n
 * @param {boolean} wasEmpty
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
async function undoOnFailure(store, n, wasEmpty, work) {
  try {
    return await work()
  } catch (error) {
    if (wasEmpty) {
      await native(() => n.clearRows(store))
      const e = withCode(error)
      e.message += ' (nothing was imported: the target was left empty, as it was)'
      throw e
    }
    throw error
  }
}

/**
 * Runs an import's writes into a target that was empty with what the store builds faster once
 * at the end than row by row dropped meanwhile (SQLite: the indexes on `user_id`), and builds
 * it back afterwards, after a failure too (and, were the process killed in between, the next
 * open of the file does).
 *
 * @template T
 * @param {import('../native').Handle} store
 * @param {typeof import('../native')} n
 * @param {boolean} intoEmpty
 * @param {(bulk: boolean) => Promise<T>} work told whether the store was readied (rows may then be staged)
 * @returns {Promise<T>}
 */
async function bulkImport(store, n, intoEmpty, work) {
  if (!intoEmpty || !JSON.parse(await native(() => n.beginBulkImport(store)))) return work(false)
  let result
  try {
    result = await work(true)
  } catch (error) {
    await native(() => n.endBulkImport(store)).catch(() => {})
    throw error
  }
  await native(() => n.endBulkImport(store))
  return result
}

/**
 * `import --from jsonl`: writes an export's rows as they are.
 *
 * @param {StoreOptions & { source: string, merge?: boolean, dryRun?: boolean }} opts
 * @param {Io} io
 */
async function importExport(opts, io) {
  return withStore(opts, io, async (store, n) => {
    const wasEmpty = refuseNonEmpty(await statsOf(store, n), Boolean(opts.merge))
    /** @type {Record<string, number>} */
    const inserted = {}
    /** @type {string[]} */
    const conflicts = []
    /** @type {ReturnType<typeof progress> | null} */
    let bar = null
    try {
      const intoEmpty = wasEmpty && !opts.dryRun
      await bulkImport(store, n, intoEmpty, () => undoOnFailure(store, n, intoEmpty, async () => {
        for await (const part of readExport(opts.source)) {
          if ('header' in part) {
            if (typeof part.header.secret === 'boolean' && part.header.secret !== (opts.secret !== undefined)) {
              throw codedError(
                'INVALID_INPUT',
                part.header.secret
                  ? `${opts.source}: its session tokens are hashed with a secret; give the same --secret (the app's secret), or every session would be signed out`
                  : `${opts.source}: its session tokens were hashed without a secret; import it without --secret (and configure none), or every session would be signed out`,
              )
            }
            bar = progress(io, Boolean(opts.json), rowCount(part.header), opts.dryRun ? 'check' : 'import')
            continue
          }
          const { table, lines } = part
          if (opts.dryRun) {
            inserted[table] = (inserted[table] ?? 0) + n.checkRows(table, lines)
          } else {
            const done = JSON.parse(await native(() => n.importRows(store, table, lines, Boolean(opts.merge))))
            inserted[table] = (inserted[table] ?? 0) + done.inserted
            conflicts.push(...done.conflicts)
          }
          bar?.add(lines.length)
        }
      }))
    } finally {
      /** @type {any} */ (bar)?.stop()
    }
    return { from: 'jsonl', source: path.resolve(opts.source), dryRun: Boolean(opts.dryRun), [opts.dryRun ? 'wouldWrite' : 'inserted']: inserted, conflicts }
  }, true)
}

/**
 * Prints a result: JSON with `--json`, else readable lines.
 *
 * @param {Io} io
 * @param {boolean | undefined} json
 * @param {any} result
 * @param {(result: any) => string} text
 */
function print(io, json, result, text) {
  io.stdout.write(json ? `${JSON.stringify(result)}\n` : `${text(result)}\n`)
}

/** @param {Record<string, unknown>} obj */
const listing = (obj) =>
  Object.entries(obj)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')

/**
 * Adds the options every command shares (the same as `RustAdapter()`'s).
 *
 * @param {Command} cmd
 */
function storeOptions(cmd) {
  return cmd
    .option('--filename <file>', 'SQLite database file (as RustAdapter({ filename }))')
    .option('--url <url>', 'PostgreSQL URL (as RustAdapter({ url }); default: DATABASE_URL)')
    .option('--schema <name>', 'PostgreSQL schema (as RustAdapter({ schema }))')
    .option('--table-prefix <prefix>', 'PostgreSQL table prefix (as RustAdapter({ tablePrefix }))')
    .option('--secret <secret>', 'the secret session tokens are hashed with (as RustAdapter({ secret }))')
    .option(
      '--encryption-key <key>',
      'an OAuth-token encryption key, newest first; repeat for older keys (as RustAdapter({ encryptionKey }))',
      (/** @type {string} */ value, /** @type {string[]} */ previous) => [...previous, value],
      /** @type {string[]} */ ([]),
    )
    .option('--json', 'print one JSON object for machines instead of text')
}

/**
 * The program, writing to `io`; `run` parses and executes.
 *
 * @param {Io} io
 * @param {(code: number) => void} setExit
 */
function program(io, setExit) {
  const cli = new Command('authjs-rust-adapter')
    .description('Inspect, check, migrate, back up and move the database of authjs-rust-adapter.')
    .addHelpText('after', '\nExit codes: 0 done, 1 failed (a coded error is printed), 2 bad usage, 3 check found problems.\nDocs: docs/cli.md in the package.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')

  storeOptions(cli.command('stats').description('rows per table, live and expired sessions, accounts per provider, size, schema version')).action(
    async (/** @type {StoreOptions} */ opts) => {
      const stats = await withStore(opts, io, statsOf)
      print(io, opts.json, stats, (s) =>
        [
          `backend: ${s.backend}, schema version ${s.schemaVersion} (latest ${s.latestSchemaVersion}), ${s.sizeBytes} bytes`,
          `rows:\n${listing(s.rows)}`,
          `sessions: ${s.sessions.live} live, ${s.sessions.expired} expired`,
          `verification tokens: ${s.verificationTokens.live} live, ${s.verificationTokens.expired} expired`,
          `accounts by provider:${Object.keys(s.accountsByProvider).length ? `\n${listing(s.accountsByProvider)}` : ' none'}`,
        ].join('\n'),
      )
    },
  )

  storeOptions(cli.command('check').description('integrity and foreign-key checks (SQLite), constraints (PostgreSQL), schema version; exit 3 on a problem')).action(
    async (/** @type {StoreOptions} */ opts) => {
      const result = await withStore(opts, io, async (store, n) => JSON.parse(await native(() => n.storeCheck(store))))
      print(io, opts.json, result, (r) =>
        r.ok
          ? `ok: ${r.checks.join(', ')} (schema version ${r.schemaVersion})`
          : `problems:\n${r.problems.map((/** @type {string} */ p) => `  ${p}`).join('\n')}`,
      )
      if (!result.ok) setExit(EXIT.PROBLEMS)
    },
  )

  storeOptions(cli.command('migrate').description('bring the schema up to date now (for deploy pipelines); creates the database when missing')).action(
    async (/** @type {StoreOptions} */ opts) => {
      const stats = await withStore(opts, io, statsOf)
      const result = { backend: stats.backend, schemaVersion: stats.schemaVersion }
      print(io, opts.json, result, (r) => `${r.backend} schema is at version ${r.schemaVersion}, the latest`)
    },
  )

  storeOptions(cli.command('prune').description('delete expired sessions and verification tokens now')).action(async (/** @type {StoreOptions} */ opts) => {
    const pruned = await withStore(opts, io, (store, n) => native(() => n.prune(store, 'alone')))
    print(io, opts.json, pruned, (p) => `deleted ${p.sessions} expired sessions and ${p.verificationTokens} expired verification tokens`)
  })

  storeOptions(
    cli
      .command('export')
      .description('write every row, as stored, to a JSON-lines file (backup, or a move to another backend)')
      .requiredOption('--to <file>', 'the file to write (replaced when the export succeeds)'),
  ).action(async (/** @type {StoreOptions & { to: string }} */ opts) => {
    const result = await exportTo(opts, io)
    print(io, opts.json, result, (r) => `exported to ${r.to}:\n${listing(r.rows)}`)
  })

  const { PEERS, importPeer } = require('./cli-peers.js')
  storeOptions(
    cli
      .command('import')
      .description('write rows from an export file, or from another Auth.js adapter\'s database, keeping every session signed in')
      .addOption(new Option('--from <kind>', 'where the rows come from').choices(['jsonl', ...PEERS]).makeOptionMandatory())
      .requiredOption('--source <file or url>', 'the export file, or the peer\'s SQLite file or PostgreSQL URL')
      .option('--merge', 'import into a database that already holds rows: keep them, add the others, report each conflict')
      .option('--dry-run', 'read and check everything, write nothing, report what would be written'),
  ).action(async (/** @type {StoreOptions & { from: string, source: string, merge?: boolean, dryRun?: boolean }} */ opts) => {
    const result =
      opts.from === 'jsonl'
        ? await importExport(opts, io)
        : await withStore(opts, io, async (store, n) => {
            const wasEmpty = refuseNonEmpty(await statsOf(store, n), Boolean(opts.merge))
            const intoEmpty = wasEmpty && !opts.dryRun
            return bulkImport(store, n, intoEmpty, (bulk) =>
              undoOnFailure(store, n, intoEmpty, () =>
                importPeer({
                  ...opts,
                  staged: bulk && !opts.merge,
                  store,
                  n,
                  env: io.env,
                  progress: (/** @type {number} */ total) => progress(io, Boolean(opts.json), total, opts.dryRun ? 'check' : 'import'),
                }),
              ),
            )
          }, true)
    /** @type {Record<string, number>} */
    const counts = /** @type {any} */ (result).inserted ?? /** @type {any} */ (result).wouldWrite
    print(io, opts.json, result, (r) =>
      [
        `${r.dryRun ? 'would import' : 'imported'} from ${r.from}:\n${listing(counts)}`,
        ...(r.conflicts.length ? [`kept out (${r.conflicts.length}):`, ...r.conflicts.map((/** @type {string} */ c) => `  ${c}`)] : []),
      ].join('\n'),
    )
  })

  storeOptions(
    cli
      .command('rotate-key')
      .description('re-seal every stored OAuth token under the newest --encryption-key (give the new key first, then the old ones)'),
  ).action(async (/** @type {StoreOptions} */ opts) => {
    const changed = await withStore(opts, io, async (store, n) => Number(await native(() => n.rotateKey(store))))
    print(io, opts.json, { resealed: changed }, (r) => `re-sealed the tokens of ${r.resealed} accounts under the newest key; older keys can now be retired`)
  })

  return cli
}

/**
 * Runs the command line with `argv` (without node and the script); answers the exit code.
 *
 * @param {string[]} argv
 * @param {Io} [io]
 * @returns {Promise<number>}
 */
async function run(argv, io = { stdout: process.stdout, stderr: process.stderr, env: process.env }) {
  /** @type {number} */
  let exit = EXIT.OK
  const cli = program(io, (code) => {
    exit = code
  })
  try {
    await cli.parseAsync(argv, { from: 'user' })
    return exit
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE
    }
    const e = withCode(error)
    const code = e instanceof RustAdapterError ? e.code : undefined
    const json = argv.includes('--json')
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: code ?? 'ERROR', message: e.message } })}\n`)
    io.stderr.write(`authjs-rust-adapter: ${e.message}\n`)
    return EXIT.FAILED
  }
}

module.exports = { run, EXIT, FORMAT, FORMAT_VERSION }
