// @ts-check
'use strict'
/**
 * `import --from <peer>`: reading the default schema of another Auth.js adapter
 * (`@auth/prisma-adapter`, `@auth/drizzle-adapter`, `@auth/kysely-adapter`,
 * `@auth/typeorm-adapter`, `@auth/pg-adapter`) from its SQLite file or PostgreSQL database,
 * and writing its rows in batches: a page of the peer's rows is converted to this adapter's
 * stored rows natively (`src/core/peer.rs`: every field checked as the adapter's own methods
 * check it, ids kept, extra columns as extra properties with their types, dates in any stored
 * form, plain session tokens stored as this adapter's hash so the same cookie keeps working,
 * OAuth tokens sealed when a key is given) and written in one transaction per page by the
 * batch import `import --from jsonl` uses. SQLite files are read by the native `SqliteSource`
 * (no row crosses into JavaScript); PostgreSQL through `pg`, which the peers on PostgreSQL
 * already depend on (an optional peer dependency of this package).
 */

const { loadNative } = require('./load.js')
const { codedError, withCode, awaitCoded: native } = require('./errors.js')

/**
 * Rows read, converted and written per round (one transaction each); `AUTHJS_IMPORT_PAGE_ROWS`
 * sets another number (docs/cli.md).
 *
 * @param {NodeJS.ProcessEnv} env
 */
function pageRows(env) {
  const text = env.AUTHJS_IMPORT_PAGE_ROWS
  if (text === undefined || text === '') return 50000
  const n = Number(text)
  if (!Number.isSafeInteger(n) || n < 1) throw codedError('INVALID_INPUT', `AUTHJS_IMPORT_PAGE_ROWS must be a positive integer (got ${JSON.stringify(text)})`)
  return n
}

/**
 * One model of a peer's schema: its table, and its column for each Auth.js field.
 *
 * @typedef {{ table: string, key: string[], fields: Record<string, string>, optional?: boolean }} ModelSpec
 * @typedef {{ user: ModelSpec, account: ModelSpec, session: ModelSpec, verificationToken: ModelSpec, authenticator?: ModelSpec }} PeerSpec
 */

const USER = { id: 'id', name: 'name', email: 'email', emailVerified: 'emailVerified', image: 'image' }
const ACCOUNT = {
  userId: 'userId',
  type: 'type',
  provider: 'provider',
  providerAccountId: 'providerAccountId',
  refresh_token: 'refresh_token',
  access_token: 'access_token',
  expires_at: 'expires_at',
  token_type: 'token_type',
  scope: 'scope',
  id_token: 'id_token',
  session_state: 'session_state',
}
const SESSION = { sessionToken: 'sessionToken', userId: 'userId', expires: 'expires' }
const TOKEN = { identifier: 'identifier', token: 'token', expires: 'expires' }
const AUTHENTICATOR = {
  credentialID: 'credentialID',
  userId: 'userId',
  providerAccountId: 'providerAccountId',
  credentialPublicKey: 'credentialPublicKey',
  counter: 'counter',
  credentialDeviceType: 'credentialDeviceType',
  credentialBackedUp: 'credentialBackedUp',
  transports: 'transports',
}

/** @param {Record<string, string>} names the tables of user, account, session, verificationToken, authenticator */
const camelSchema = (names) => ({
  user: { table: names.user, key: ['id'], fields: USER },
  account: { table: names.account, key: ['provider', 'providerAccountId'], fields: ACCOUNT },
  session: { table: names.session, key: ['sessionToken'], fields: SESSION },
  verificationToken: { table: names.verificationToken, key: ['identifier', 'token'], fields: TOKEN },
  authenticator: { table: names.authenticator, key: ['credentialID'], fields: AUTHENTICATOR, optional: true },
})

/** The default schema of each peer, as its documentation creates it. @type {Record<string, PeerSpec>} */
const SPECS = {
  prisma: camelSchema({ user: 'User', account: 'Account', session: 'Session', verificationToken: 'VerificationToken', authenticator: 'Authenticator' }),
  drizzle: camelSchema({ user: 'user', account: 'account', session: 'session', verificationToken: 'verificationToken', authenticator: 'authenticator' }),
  kysely: camelSchema({ user: 'User', account: 'Account', session: 'Session', verificationToken: 'VerificationToken', authenticator: 'Authenticator' }),
  typeorm: camelSchema({ user: 'users', account: 'accounts', session: 'sessions', verificationToken: 'verification_tokens', authenticator: 'authenticators' }),
  pg: camelSchema({ user: 'users', account: 'accounts', session: 'sessions', verificationToken: 'verification_token', authenticator: 'authenticators' }),
}

const PEERS = Object.keys(SPECS)

/** Columns a peer keeps for itself, never extra properties (surrogate ids of child rows). */
const PEER_OWN = new Set(['id'])

/**
 * A source database: its tables' columns and a paged read of one model's rows, handed to the
 * native side as a `PeerPage` (converted and written by `importPeerPage`).
 *
 * @typedef {import('../native').PeerPlan} PeerPlan
 * @typedef {import('../native').PeerPage} PeerPage
 * @typedef {{ name: string, type: string }} SourceColumn
 * @typedef {{
 *   tables: () => Promise<Record<string, SourceColumn[]>>,
 *   page: (plan: PeerPlan, m: ModelSpec, after: string | null, limit: number, first: number) => Promise<PeerPage>,
 *   count: (table: string) => Promise<number>,
 *   close: () => Promise<void>,
 * }} Source
 */

/**
 * A native call's answer, its error coded.
 *
 * @template T
 * @param {() => T} call
 * @returns {T}
 */
function coded(call) {
  try {
    return call()
  } catch (error) {
    throw withCode(error)
  }
}

/** PostgreSQL's type ids of `timestamp` (without time zone) and `date`. */
const TIMESTAMP_OID = 1114
const DATE_OID = 1082

/** @param {string} name */
const quote = (name) => `"${name.replace(/"/g, '""')}"`

/**
 * @param {string} file
 * @returns {Source}
 */
function sqliteSource(file) {
  const { SqliteSource } = loadNative()
  const source = coded(() => new SqliteSource(file))
  return {
    tables: async () => JSON.parse(source.tables()),
    page: async (plan, _m, after, limit, first) => source.peerPage(plan, after, limit, first),
    count: async (table) => JSON.parse(source.rows(`SELECT count(*) FROM ${quote(table)}`, '[]')[0])[0],
    close: async () => {},
  }
}

/**
 * The URL with Prisma's `?schema=` parameter (which `prisma init` writes, and pg does not know)
 * turned into the search path it means, unless the URL sets its own `options`.
 *
 * @param {string} url
 */
function withPrismaSchema(url) {
  let parsed
  try {
    parsed = new URL(url)
  } catch {
    return url
  }
  const schema = parsed.searchParams.get('schema')
  if (schema === null) return url
  parsed.searchParams.delete('schema')
  if (!parsed.searchParams.has('options')) {
    const quoted = `"${schema.replace(/"/g, '""')}"`.replace(/[\\ ]/g, (c) => `\\${c}`)
    parsed.searchParams.set('options', `-c search_path=${quoted}`)
  }
  return parsed.toString()
}

/**
 * @param {string} url
 * @returns {Promise<Source>}
 */
async function postgresSource(url) {
  /** @type {any} */
  let pg
  try {
    const name = 'pg'
    pg = require(name)
  } catch {
    throw codedError('INVALID_INPUT', '--source is a PostgreSQL URL: install the `pg` package (npm install pg) to read it')
  }
  // A `timestamp` (without time zone, as Prisma and drizzle declare dates) and a `date` stay
  // text, which the native conversion reads as UTC, the zone those peers write them in: pg's own parser would
  // read them in this machine's time zone, shifting every date on a machine not set to UTC.
  // `timestamptz` carries its zone (pg's parser is right, and a Date reaches the native side as
  // its ISO text); int8 and numeric stay text.
  const client = new pg.Client({
    connectionString: withPrismaSchema(url),
    types: {
      /** @param {number} oid @param {any} [format] */
      getTypeParser: (oid, format) => (oid === TIMESTAMP_OID || oid === DATE_OID ? (/** @type {string} */ text) => text : pg.types.getTypeParser(oid, format)),
    },
  })
  try {
    await client.connect()
  } catch (error) {
    throw codedError('DB_UNAVAILABLE', `--source: cannot connect to PostgreSQL: ${/** @type {Error} */ (error).message}`)
  }
  const { peerPageOf } = loadNative()
  return {
    async tables() {
      const { rows } = await client.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
      )
      /** @type {Record<string, SourceColumn[]>} */
      const out = {}
      for (const r of rows) (out[r.table_name] ??= []).push({ name: r.column_name, type: r.data_type })
      return out
    },
    async page(plan, { table, key }, after, limit, first) {
      const columns = plan.columns
      const keys = key.map(quote).join(', ')
      const from = after ? JSON.parse(after) : null
      const where = from ? `WHERE (${keys}) > (${key.map((_, i) => `$${i + 2}`).join(', ')})` : ''
      const { rows } = await client.query({
        text: `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ${where} ORDER BY ${keys} LIMIT $1`,
        values: [limit, ...(from ?? [])],
        rowMode: 'array',
      })
      return peerPageOf(plan, JSON.stringify(rows), first)
    },
    async count(table) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${quote(table)}`)
      return rows[0].n
    },
    close: () => client.end(),
  }
}

/**
 * Checks the source holds the peer's schema; answers each model's columns. A missing table or
 * column is named.
 *
 * @param {PeerSpec} spec
 * @param {Record<string, SourceColumn[]>} tables
 * @param {string} peer
 */
function checkSchema(spec, tables, peer) {
  /** @type {Record<string, SourceColumn[] | null>} */
  const found = {}
  for (const [model, m] of Object.entries(spec)) {
    const columns = tables[m.table]
    if (!columns) {
      if (m.optional) {
        found[model] = null
        continue
      }
      const known = Object.keys(tables).filter((t) => !t.startsWith('sqlite_'))
      throw codedError(
        'SCHEMA_MISMATCH',
        `--source is not the default schema of the ${peer} adapter: the table ${JSON.stringify(m.table)} (${model}) is missing; the source has ${known.length ? known.map((t) => JSON.stringify(t)).join(', ') : 'no tables'}`,
      )
    }
    for (const column of Object.values(m.fields)) {
      if (!columns.some((c) => c.name === column)) {
        throw codedError(
          'SCHEMA_MISMATCH',
          `--source is not the default schema of the ${peer} adapter: the column ${JSON.stringify(column)} of table ${JSON.stringify(m.table)} is missing`,
        )
      }
    }
    found[model] = columns
  }
  return found
}

/**
 * Imports a peer's rows into `store`, a page at a time: each page is read (natively from an
 * SQLite file), converted and written in one transaction while the next page is read.
 *
 * With `staged` (an empty SQLite target readied by `beginBulkImport`), the store may hold a
 * table's rows back and write them at the table's end, in its key's order.
 *
 * @param {{ from: string, source: string, merge?: boolean, dryRun?: boolean, staged?: boolean,
 *   store: import('../native').Handle, n: typeof import('../native'), env: NodeJS.ProcessEnv,
 *   progress: (total: number) => { add: (n: number) => void, stop: () => void } }} opts
 */
async function importPeer(opts) {
  const { n, store } = opts
  const PAGE = pageRows(opts.env)
  const spec = SPECS[opts.from]
  const source = /^postgres(ql)?:\/\//i.test(opts.source) ? await postgresSource(opts.source) : sqliteSource(opts.source)
  /** @type {Record<string, number>} */
  const written = {}
  /** @type {string[]} */
  const conflicts = []
  let bar = null
  try {
    const columns = checkSchema(spec, await source.tables(), opts.from)
    let total = 0
    for (const [model, m] of Object.entries(spec)) if (columns[model]) total += await source.count(m.table)
    bar = opts.progress(total)
    const models = Object.entries(spec).flatMap(([model, m]) => {
      const cols = columns[model]
      if (!cols) return []
      const known = new Set(Object.values(m.fields))
      const extras = model === 'user' || model === 'account' ? cols.filter((c) => !known.has(c.name) && !(model !== 'user' && PEER_OWN.has(c.name))) : []
      const plan = coded(() => new n.PeerPlan(JSON.stringify({ model, table: m.table, key: m.key, fields: m.fields, extras })))
      return [{ model, m, plan }]
    })
    /**
     * A page of model `i`'s rows after `after`, read and then converted to rows as stored
     * (each row checked, tokens hashed, OAuth tokens sealed); null past the last model.
     *
     * @param {number} i
     * @param {string | null} after
     * @param {number} first rows of the table before the page
     * @returns {Promise<PeerPage> | null}
     */
    const fetch = (i, after, first) => {
      if (i >= models.length) return null
      const { m, plan } = models[i]
      const page = native(() => source.page(plan, m, after, PAGE, first)).then((p) => {
        if (p.count > 0) coded(() => n.convertPeerPage(store, plan, p))
        return p
      })
      page.catch(() => {}) // awaited in turn: a failure is thrown there, after the writes before it
      return page
    }
    // Each page commits on the writer thread (SQLite) or the server while the next one (the
    // next table's first, after a table's last) is read and converted on this thread.
    let upcoming = fetch(0, null, 0)
    for (let i = 0; i < models.length; i++) {
      const { model, plan } = models[i]
      written[model] = 0
      let read = 0
      let page = await upcoming
      upcoming = null
      while (page && page.count > 0) {
        const current = page
        read += current.count
        const pending = native(() => n.importPeerPage(store, plan, current, Boolean(opts.merge), Boolean(opts.dryRun), Boolean(opts.staged)))
        const last = current.count < PAGE
        const next = last ? null : fetch(i, current.after ?? null, read)
        if (last) upcoming = fetch(i + 1, null, 0)
        const done = JSON.parse(await pending)
        written[model] += done.inserted
        conflicts.push(...done.conflicts)
        bar.add(current.count)
        page = next ? await next : null
      }
      upcoming ??= fetch(i + 1, null, 0)
      if (opts.staged) await native(() => n.flushStagedPeerRows(store, plan))
    }
  } finally {
    bar?.stop()
    await source.close()
  }
  return { from: opts.from, source: opts.source.replace(/\/\/[^@/]*@/, '//***@'), dryRun: Boolean(opts.dryRun), [opts.dryRun ? 'wouldWrite' : 'inserted']: written, conflicts }
}

module.exports = { PEERS, SPECS, importPeer }
