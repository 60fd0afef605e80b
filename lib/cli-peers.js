// @ts-check
'use strict'
/**
 * `import --from <peer>`: reading the default schema of another Auth.js adapter
 * (`@auth/prisma-adapter`, `@auth/drizzle-adapter`, `@auth/kysely-adapter`,
 * `@auth/typeorm-adapter`, `@auth/pg-adapter`) from its SQLite file or PostgreSQL database,
 * and writing its rows through this adapter's own methods: ids kept, extra columns as extra
 * properties with their types, dates in any stored form, plain session tokens stored as this
 * adapter's hash (so the same cookie keeps working), OAuth tokens sealed when a key is given.
 * SQLite files are read by the native `SqliteSource`; PostgreSQL through `pg`, which the
 * peers on PostgreSQL already depend on (an optional peer dependency of this package).
 */

const { loadNative } = require('./load.js')
const { codedError, withCode } = require('./errors.js')

/** Rows read and written per round. */
const PAGE = 2000

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
 * A source database: its tables' columns and a paged query.
 *
 * @typedef {{ name: string, type: string }} SourceColumn
 * @typedef {{
 *   tables: () => Promise<Record<string, SourceColumn[]>>,
 *   page: (table: string, columns: string[], key: string[], after: unknown[] | null, limit: number) => Promise<Record<string, unknown>[]>,
 *   count: (table: string) => Promise<number>,
 *   close: () => Promise<void>,
 * }} Source
 */

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
  let db
  try {
    db = new SqliteSource(file)
  } catch (error) {
    throw withCode(error)
  }
  const source = db
  return {
    tables: async () => JSON.parse(source.tables()),
    async page(table, columns, key, after, limit) {
      const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ${after ? `WHERE (${key.map(quote).join(', ')}) > (${key.map(() => '?').join(', ')})` : ''} ORDER BY ${key.map(quote).join(', ')} LIMIT ?`
      return source.rows(sql, JSON.stringify([...(after ?? []), limit])).map((line) => {
        const values = JSON.parse(line)
        return Object.fromEntries(columns.map((c, i) => [c, values[i]]))
      })
    },
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
  // text, which `toDate` reads as UTC, the zone those peers write them in: pg's own parser would
  // read them in this machine's time zone, shifting every date on a machine not set to UTC.
  // `timestamptz` carries its zone (pg's parser is right); int8 stays text.
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
    async page(table, columns, key, after, limit) {
      const keys = key.map(quote).join(', ')
      const where = after ? `WHERE (${keys}) > (${key.map((_, i) => `$${i + 2}`).join(', ')})` : ''
      const { rows } = await client.query(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ${where} ORDER BY ${keys} LIMIT $1`, [limit, ...(after ?? [])])
      return rows
    },
    async count(table) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${quote(table)}`)
      return rows[0].n
    },
    close: () => client.end(),
  }
}

/**
 * A stored date in any form a peer writes (a Date, integer seconds or milliseconds, numeric
 * text, ISO or SQL text), as a Date; `null` stays `null`.
 *
 * @param {unknown} value
 * @param {string} field
 * @returns {Date | null}
 */
function toDate(value, field) {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value
  let n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN
  if (Number.isFinite(n)) {
    // Seconds until the year 5138; milliseconds beyond.
    if (Math.abs(n) < 1e11) n *= 1000
    return new Date(n)
  }
  if (typeof value === 'string') {
    let text = value.trim()
    if (/^\d{4}-\d\d-\d\d \d/.test(text)) text = text.replace(' ', 'T')
    if (/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)) text += 'Z'
    const d = new Date(text)
    if (!Number.isNaN(d.getTime())) return d
  }
  throw codedError('INVALID_INPUT', `${field}: ${JSON.stringify(value)} is not a date in any form the peers store`)
}

/**
 * An extra column's value with the type its declared column gives it.
 *
 * @param {unknown} value
 * @param {string} type the declared type (SQLite) or data type (PostgreSQL)
 * @param {string} field
 */
function typed(value, type, field) {
  if (value === null || value === undefined) return null
  const t = type.toLowerCase()
  if (/bool/.test(t)) return value === true || value === 1 || value === '1' || value === 't' || value === 'true'
  if (/date|time/.test(t)) return toDate(value, field)
  if (/^(bigint|int8)$/.test(t) && typeof value === 'string') {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : BigInt(value)
  }
  if (/^(numeric|decimal)/.test(t) && typeof value === 'string') return Number(value)
  if (/json/.test(t) && typeof value === 'string') {
    try {
      return JSON.parse(value)
    } catch {
      return value
    }
  }
  return value
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
 * How each model's source row becomes an Auth.js object for this adapter's method.
 *
 * @type {Record<string, (row: Record<string, unknown>, extras: SourceColumn[], at: string) => any>}
 */
const CONVERT = {
  user: (row, extras, at) => ({
    ...extraProps(row, extras, at),
    id: String(row.id),
    name: row.name ?? null,
    email: row.email ?? null,
    emailVerified: toDate(row.emailVerified, `${at}.emailVerified`),
    image: row.image ?? null,
  }),
  account: (row, extras, at) => {
    /** @type {Record<string, unknown>} */
    const out = { ...extraProps(row, extras, at) }
    for (const field of Object.keys(ACCOUNT)) if (row[field] !== null && row[field] !== undefined) out[field] = row[field]
    out.userId = String(row.userId)
    if (out.expires_at !== undefined) out.expires_at = Number(out.expires_at)
    return out
  },
  session: (row, _extras, at) => ({
    sessionToken: row.sessionToken,
    userId: String(row.userId),
    expires: toDate(row.expires, `${at}.expires`),
  }),
  verificationToken: (row, _extras, at) => ({
    identifier: row.identifier,
    token: row.token,
    expires: toDate(row.expires, `${at}.expires`),
  }),
  authenticator: (row) => ({
    credentialID: row.credentialID,
    userId: String(row.userId),
    providerAccountId: row.providerAccountId,
    credentialPublicKey: row.credentialPublicKey,
    counter: Number(row.counter),
    credentialDeviceType: row.credentialDeviceType,
    credentialBackedUp: row.credentialBackedUp === true || row.credentialBackedUp === 1 || row.credentialBackedUp === '1' || row.credentialBackedUp === 't',
    transports: row.transports ?? null,
  }),
}

/**
 * @param {Record<string, unknown>} row
 * @param {SourceColumn[]} extras
 * @param {string} at
 */
function extraProps(row, extras, at) {
  return Object.fromEntries(extras.map((c) => [c.name, typed(row[c.name], c.type, `${at}.${c.name}`)]))
}

/**
 * The adapter method that writes each model.
 *
 * @type {Record<string, string>}
 */
const METHOD = {
  user: 'createUser',
  account: 'linkAccount',
  session: 'createSession',
  verificationToken: 'createVerificationToken',
  authenticator: 'createAuthenticator',
}

/**
 * Imports a peer's rows through `adapter`.
 *
 * @param {{ from: string, source: string, merge?: boolean, dryRun?: boolean, adapter: any,
 *   progress: (total: number) => { add: (n: number) => void, stop: () => void } }} opts
 */
async function importPeer(opts) {
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
    for (const [model, m] of Object.entries(spec)) {
      const cols = columns[model]
      if (!cols) continue
      const known = new Set(Object.values(m.fields))
      const extras = model === 'user' || model === 'account' ? cols.filter((c) => !known.has(c.name) && !(model !== 'user' && PEER_OWN.has(c.name))) : []
      const names = [...known, ...extras.map((c) => c.name)]
      written[model] = 0
      /** @type {unknown[] | null} */
      let after = null
      /** @returns {Promise<Record<string, unknown>[]>} */
      const next = async () => {
        const rows = await source.page(m.table, names, m.key, after, PAGE)
        if (rows.length > 0) {
          const last = rows[rows.length - 1]
          after = m.key.map((k) => last[k])
        }
        return rows
      }
      let rows = await next()
      for (let offset = 0; rows.length > 0; offset += PAGE) {
        const objects = rows.map((row, i) => CONVERT[model](row, extras, `${m.table} row ${offset + i + 1}`))
        const page = rows
        // The page's writes commit on the writer thread while the next page is read.
        const settled = opts.dryRun ? null : Promise.allSettled(objects.map((o) => opts.adapter[METHOD[model]](o)))
        rows = page.length < PAGE ? [] : await next()
        if (settled) {
          ;(await settled).forEach((r, i) => {
            if (r.status === 'fulfilled') {
              written[model] += 1
              return
            }
            const e = withCode(r.reason)
            const code = /** @type {any} */ (e).code
            const what = `${m.table} ${m.key.map((k) => `${k} ${JSON.stringify(page[i][k])}`).join(', ')}`
            if (opts.merge && (code === 'UNIQUE_VIOLATION' || code === 'NOT_FOUND')) {
              conflicts.push(`${what}: ${e.message}`)
              return
            }
            e.message = `${what}: ${e.message}`
            throw e
          })
        } else {
          written[model] += objects.length
        }
        bar.add(page.length)
      }
    }
  } finally {
    bar?.stop()
    await source.close()
  }
  return { from: opts.from, source: opts.source.replace(/\/\/[^@/]*@/, '//***@'), dryRun: Boolean(opts.dryRun), [opts.dryRun ? 'wouldWrite' : 'inserted']: written, conflicts }
}

module.exports = { PEERS, SPECS, importPeer, toDate }
