'use strict'
// Runs the shipped conformance kit (authjs-rust-adapter/jest) against RustAdapter.
const { describeAdapter } = require('authjs-rust-adapter/jest')
const { RustAdapter, tempFile } = require('./helpers')

describeAdapter(
  'RustAdapter on SQLite',
  () => {
    const adapter = RustAdapter({ filename: tempFile() })
    return { adapter, teardown: () => adapter.close() }
  },
  { webauthn: true, extras: true },
)
