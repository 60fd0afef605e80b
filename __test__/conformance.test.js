'use strict'
// Runs the shipped conformance kit (authjs-rust-adapter/jest) against RustAdapter.
const { describeAdapter } = require('authjs-rust-adapter/jest')
const { BACKEND, RustAdapter, storeConfig } = require('./helpers')

describeAdapter(
  BACKEND === 'postgres' ? 'RustAdapter on PostgreSQL' : 'RustAdapter on SQLite',
  () => {
    const adapter = RustAdapter(storeConfig())
    return { adapter, teardown: () => adapter.close() }
  },
  { webauthn: true, extras: true },
)
