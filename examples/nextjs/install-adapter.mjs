// Installs authjs-rust-adapter from this repository into node_modules as a real folder, the
// shape `npm install authjs-rust-adapter` gives: the files `npm pack` takes, plus the .node
// binary built here (`npm run build` at the repository root), which the package's loader finds
// beside it.
//
// Why not the `file:../..` link that `npm install` makes: a symlinked package resolves to a
// path outside node_modules, and both of Next.js's bundlers then bundle it whatever
// serverExternalPackages says, which a native addon cannot survive. `npm run build` and
// `npm run dev` run this first (prebuild, predev).
import { execFileSync } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..", "..")
const target = join(here, "node_modules", "authjs-rust-adapter")

const binaries = readdirSync(root).filter((f) => f.startsWith("authjs-rust-adapter.") && f.endsWith(".node"))
if (binaries.length === 0) {
  console.error("install-adapter: no authjs-rust-adapter.*.node in the repository root: run `npm run build` there first")
  process.exit(1)
}

const work = mkdtempSync(join(tmpdir(), "authjs-rust-adapter-pack-"))
try {
  const [{ filename }] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" }),
  )
  rmSync(target, { recursive: true, force: true })
  mkdirSync(target, { recursive: true })
  execFileSync("tar", ["-xzf", join(work, filename), "--strip-components=1", "-C", target])
  for (const binary of binaries) copyFileSync(join(root, binary), join(target, binary))
  console.log(`install-adapter: ${filename} and ${binaries.join(", ")} -> node_modules/authjs-rust-adapter`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
