// What the package exports, from ESM and from CommonJS: the same functions under the same
// names, including the Client DB integration guide's ReplocalClientDb.
import { createRequire } from 'node:module'
import * as esm from 'authjs-rust-adapter'

const cjs = createRequire(import.meta.url)('authjs-rust-adapter')

const NAMES = ['RustAdapter', 'LegacyAdapter', 'RustClientDb', 'ReplocalClientDb', 'RustAdapterError']

test.each(NAMES)('%s is exported from ESM and CommonJS as the same function', (name) => {
  expect(typeof esm[name]).toBe('function')
  expect(esm[name]).toBe(cjs[name])
})

test('ReplocalClientDb is RustClientDb under the guide’s name', () => {
  expect(esm.ReplocalClientDb).toBe(esm.RustClientDb)
})

test('the default export is RustAdapter', () => {
  expect(esm.default).toBe(esm.RustAdapter)
  expect(cjs.default).toBe(cjs.RustAdapter)
})

test('errors raised by the adapter are RustAdapterError with their code', () => {
  let error
  try {
    esm.RustAdapter({ filename: 42 })
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(esm.RustAdapterError)
  expect(error).toBeInstanceOf(Error)
  expect(error.code).toBe('INVALID_INPUT')
  expect(error.message).toBe('INVALID_INPUT: config.filename must be a string (got number)')
})
