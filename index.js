'use strict'
/**
 * authjs-rust-adapter: an Auth.js database adapter on embedded SQLite or PostgreSQL, written in Rust.
 *
 * - `RustAdapter(config)`: the adapter for Auth.js (next-auth v5 / @auth/core) and next-auth v4.
 * - `LegacyAdapter(config)`: the `getAdapter()` shape of NextAuth.js v3, on the same tables.
 * - `RustClientDb(config)`: a local-first replica (SQLite file) kept in sync with a PostgreSQL hub;
 *   also exported as `ReplocalClientDb`, the name the Auth.js Client DB integration guide asks for.
 * - `RustAdapterError`: the class of every error the package raises (`error.code` says which).
 *
 * Outside Node.js (Edge middleware, workers, browsers) the same names come from `edge.js`:
 * importing works, and every method rejects with `NODE_RUNTIME_REQUIRED`.
 */
const { isNodeRuntime } = require('./lib/edge.js')

if (isNodeRuntime()) {
  const { RustAdapter } = require('./lib/adapter.js')
  const { RustAdapterError } = require('./lib/errors.js')
  // Loaded by their first call: most apps use RustAdapter alone, and every module loaded at
  // start-up is paid for by each cold start (a serverless instance's first request).
  /** @param {any} config */
  const LegacyAdapter = (config) => require('./lib/legacy.js').LegacyAdapter(config)
  /** @param {any} config */
  const RustClientDb = function RustClientDb(config) {
    return require('./lib/client-db.js').RustClientDb(config)
  }
  module.exports = { RustAdapter, LegacyAdapter, RustClientDb, ReplocalClientDb: RustClientDb, RustAdapterError }
  module.exports.default = RustAdapter
} else {
  // An Edge runtime, a worker or a browser whose bundler ignored the package's `edge-light`,
  // `worker` and `browser` conditions: the face that loads nothing and rejects on use.
  module.exports = require('./edge.js')
}
