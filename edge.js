'use strict'
/**
 * authjs-rust-adapter outside Node.js (Edge middleware, workers, browser bundles): the same
 * exports as `index.js`, loading no native binary and needing no Node.js built-in. Importing
 * works; every adapter method rejects with `NODE_RUNTIME_REQUIRED`, whose message says how to
 * keep the adapter in Node.js code (see docs/platforms.md). package.json's `edge-light`,
 * `worker` and `browser` export conditions resolve here.
 */
const { RustAdapter, LegacyAdapter, RustClientDb, RustAdapterError } = require('./lib/edge.js')

module.exports = { RustAdapter, LegacyAdapter, RustClientDb, ReplocalClientDb: RustClientDb, RustAdapterError }
module.exports.default = RustAdapter
