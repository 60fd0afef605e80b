// ESM entry outside Node.js (see edge.js): the same names as index.mjs.
import cjs from './edge.js'

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
