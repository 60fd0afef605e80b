import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

// This app shares the node_modules of examples/nextjs, its parent folder.
const root = join(dirname(fileURLToPath(import.meta.url)), "..")

/** @type {import("next").NextConfig} */
export default {
  serverExternalPackages: ["authjs-rust-adapter"],
  outputFileTracingRoot: root,
  turbopack: { root },
}
