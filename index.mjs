// ESM entry: the same adapter as the CommonJS build, as named exports.
import adapter from './index.js'

/** @type {typeof import('./index').RustAdapter} */
export const RustAdapter = adapter.RustAdapter
export default adapter.RustAdapter
