import { dirname } from "node:path"
import { fileURLToPath } from "node:url"

// This folder is the project root (the repository above it has its own package-lock.json,
// which Next.js would otherwise take for a workspace root).
const here = dirname(fileURLToPath(import.meta.url))

/** @type {import("next").NextConfig} */
export default {
  // The adapter is a native addon: Next.js must load it with Node's require, not bundle it.
  serverExternalPackages: ["authjs-rust-adapter"],
  // `node .next/standalone/server.js` runs without node_modules: the files it needs, the
  // adapter's .node binary among them, are traced and copied next to it.
  output: "standalone",
  outputFileTracingRoot: here,
  turbopack: { root: here },
}
