'use strict'
/**
 * authjs-rust-adapter: an Auth.js database adapter on embedded SQLite, written in Rust.
 *
 * - `RustAdapter(config)`: the adapter for Auth.js (next-auth v5 / @auth/core) and next-auth v4.
 * - `LegacyAdapter(config)`: the `getAdapter()` shape of NextAuth.js v3, on the same tables.
 */
const { RustAdapter } = require('./adapter.js')
const { LegacyAdapter } = require('./legacy.js')

module.exports = { RustAdapter, LegacyAdapter }
module.exports.default = RustAdapter
