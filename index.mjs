// ESM entry: the same adapters as the CommonJS build, as named exports.
import cjs from './index.js'

/** @type {typeof import('./index').RustAdapter} */
export const RustAdapter = cjs.RustAdapter
/** @type {typeof import('./index').LegacyAdapter} */
export const LegacyAdapter = cjs.LegacyAdapter
/** @type {typeof import('./index').RustClientDb} */
export const RustClientDb = cjs.RustClientDb
/** @type {typeof import('./index').ReplocalClientDb} */
export const ReplocalClientDb = cjs.ReplocalClientDb
/** @type {typeof import('./index').RustAdapterError} */
export const RustAdapterError = cjs.RustAdapterError
export default cjs.RustAdapter
