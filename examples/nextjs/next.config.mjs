import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))

/** @type {import("next").NextConfig} */
export default {
  // The adapter is a native addon: Next.js must load it with Node's require, not bundle it.
  serverExternalPackages: ["authjs-rust-adapter"],
  // `node .next/standalone/…/server.js` runs without node_modules: the traced files, the
  // adapter's .node binary among them, are copied next to it.
  output: "standalone",
  // This example depends on the adapter as `file:../..` (the repository itself), so files are
  // traced from the repository root. An app that installs the package from npm leaves this out.
  outputFileTracingRoot: join(here, "..", ".."),
  turbopack: { root: join(here, "..", "..") },
}
