// @ts-check
'use strict'
/**
 * What of the configuration only JavaScript can see: `process.env.DATABASE_URL`, as the app
 * sees it. Every option is checked natively (`src/core/config.rs`).
 */

const { codedError } = require('./errors.js')

/** @typedef {import('../index').RustAdapterConfig | import('../index').TypeOrmStyleConfig} AdapterConfig */

/**
 * True for a `postgres://` or `postgresql://` URL.
 *
 * @param {unknown} value
 */
const isPostgresUrl = (value) => typeof value === 'string' && /^postgres(ql)?:\/\//i.test(value)

/**
 * The config with `DATABASE_URL` as its `url` when it names no database itself, as most
 * database libraries do. Only a PostgreSQL URL counts: another tool's `file:` URL leaves the
 * default SQLite file in use. A replica's `hub` is refused here: it belongs to `RustClientDb`.
 *
 * @param {AdapterConfig | undefined | null} config
 * @returns {unknown} what the native side reads
 */
function withDatabaseUrl(config) {
  if (config && typeof config === 'object' && 'hub' in config) {
    throw codedError(
      'INVALID_INPUT',
      'config.hub belongs to RustClientDb (a local-first replica); RustAdapter takes filename or url',
    )
  }
  const bare = config === undefined || config === null
  if (!bare && (typeof config !== 'object' || 'filename' in config || 'database' in config || 'url' in config)) {
    return config
  }
  const url = process.env.DATABASE_URL
  return isPostgresUrl(url) ? { ...(bare ? {} : config), url } : config
}

module.exports = { withDatabaseUrl }
