#!/usr/bin/env bash
# npm run test:package
#
# Proves that the package, as npm would publish it, installs and works with no Rust toolchain:
#
#   1. builds the linux-x64-gnu binary in release mode (`npm run build`) and checks that the
#      npm/<platform>/ packages, napi.targets and native.js agree (scripts/check-versions.js);
#   2. prepares the package the way the release workflow does, in a staging copy: the files
#      `npm pack` takes, npm/<platform>/ with the binary in npm/linux-x64-gnu/, then
#      `napi prepublish --skip-optional-publish`, which writes the platform packages into
#      optionalDependencies at the package's version. The committed package.json lists none of
#      them (a lock file cannot hold unpublished packages, so `npm ci` would fail); publishing
#      adds them, as in the napi-rs package template. napi prepublish insists that every
#      platform package holds its binary, so the seven this host cannot build get empty
#      placeholder files in the staging copy (never packed, never installed);
#   3. packs the main package and that platform package from the staging copy, checks what each
#      tarball holds (the main one: only the JavaScript, the types and package.json; never Rust
#      sources, Cargo files, target/ or a .node binary) and that the packed package.json lists
#      all eight platform packages in optionalDependencies at the package's version;
#   4. installs both tarballs into a fresh project with a PATH that has node and npm but no
#      cargo or rustc, a fresh HOME, an empty npm cache and --offline, so nothing can be built
#      and nothing can come from the registry (the seven other platform packages are optional
#      and are skipped), then runs a smoke test of the adapter from that install;
#   5. installs only the main tarball into a second fresh project (optional dependencies
#      omitted) and checks that using the adapter fails with the one clear error
#      (code NO_PREBUILT_BINARY, naming linux-x64), not a raw MODULE_NOT_FOUND;
#   6. checks that the working tree's package.json optionalDependencies and npm/ are as they
#      were: everything above happens in temp dirs.
#
# Linux x64 with glibc only (the one platform package this machine builds); elsewhere it prints
# a SKIP line and exits 0. Prints one PASS line per check; the first failure stops it with a FAIL
# line and exit code 1. Temp dirs are removed on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NAME=authjs-rust-adapter
VERSION=$(node -p "require('./package.json').version")
PLATFORM=linux-x64-gnu
BINARY=$NAME.$PLATFORM.node

pass() { printf 'PASS %s\n' "$*"; }
fail() {
  printf 'FAIL %s\n' "$*" >&2
  exit 1
}

# `npm test` runs this everywhere; only a Linux x64 glibc host can build and load the
# linux-x64-gnu package, so other hosts say so and skip (exit 0).
host=$(node -p 'process.platform + "-" + process.arch')
if [ "$host" != linux-x64 ] || { [ -r /usr/bin/ldd ] && grep -q musl /usr/bin/ldd; }; then
  printf 'SKIP test:package: it builds and installs the %s package, which this host (%s) cannot load\n' "$PLATFORM" "$host"
  exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/$NAME-package.XXXXXX")
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/tarballs" "$WORK/bin" "$WORK/home" "$WORK/app" "$WORK/bare" "$WORK/stage"

# What this script must leave as it found it (checked at the end): the committed package.json's
# optionalDependencies and version, and every file under npm/.
tree_state() {
  node -p "const p = require('./package.json'); JSON.stringify([p.version, p.optionalDependencies || null])"
  find npm -type f | LC_ALL=C sort | xargs sha256sum
}
tree_before=$(tree_state)

# --- 1. build ------------------------------------------------------------------------------
npm run build --silent
[ -f "$BINARY" ] || fail "npm run build made no $BINARY"
size=$(wc -c <"$BINARY" | tr -d ' ')
pass "release build: $BINARY, $size bytes ($(node -p "($size / 1048576).toFixed(2)") MiB)"

check=$(node scripts/check-versions.js) || fail "npm/ platform packages, napi.targets and native.js disagree, or package.json lists them as optionalDependencies (node scripts/check-versions.js)"
pass "${check#check-versions: }"

# --- 2. prepare the package as the release workflow does, in a staging copy ----------------
STAGE=$WORK/stage
# The main package's files, as `npm pack` selects them from this tree.
npm pack --dry-run --json --silent | node -e '
  for (const f of JSON.parse(require("fs").readFileSync(0, "utf8"))[0].files) console.log(f.path)' |
  while IFS= read -r file; do
    mkdir -p "$STAGE/$(dirname "$file")"
    cp "$file" "$STAGE/$file"
  done
[ -f "$STAGE/package.json" ] && [ -f "$STAGE/native.js" ] || fail "staging copy lacks package.json or native.js"
# The platform packages: their committed files, the fresh binary in npm/$PLATFORM/ and, for the
# seven other platforms, an empty placeholder where napi prepublish expects a binary.
for dir in npm/*/; do
  platform=$(basename "$dir")
  mkdir -p "$STAGE/npm/$platform"
  cp "$dir/package.json" "$dir/README.md" "$STAGE/npm/$platform/"
  if [ "$platform" = "$PLATFORM" ]; then
    cp "$BINARY" "$STAGE/npm/$platform/$BINARY"
  else
    : >"$STAGE/npm/$platform/$NAME.$platform.node"
  fi
done
node -e "process.exit(require('$STAGE/package.json').optionalDependencies ? 1 : 0)" ||
  fail "the package.json to publish lists optionalDependencies before napi prepublish ran"
# The step of .github/workflows/release.yml: validates the eight platform packages and writes
# them into package.json optionalDependencies; --skip-optional-publish: it publishes nothing.
(cd "$STAGE" && "$ROOT/node_modules/.bin/napi" prepublish -t npm --no-gh-release --skip-optional-publish >"$WORK/prepublish.log" 2>&1) || {
  cat "$WORK/prepublish.log" >&2
  fail "napi prepublish in the staging copy"
}
pass "napi prepublish -t npm --no-gh-release --skip-optional-publish in a staging copy (binary in npm/$PLATFORM/, placeholders for the 7 others)"

# --- 3. pack -------------------------------------------------------------------------------
main_tgz=$WORK/tarballs/$(cd "$STAGE" && npm pack --silent --pack-destination "$WORK/tarballs" | tail -n 1)
platform_tgz=$WORK/tarballs/$(cd "$STAGE" && npm pack "./npm/$PLATFORM" --silent --pack-destination "$WORK/tarballs" | tail -n 1)
if [ ! -f "$main_tgz" ] || [ ! -f "$platform_tgz" ]; then fail "npm pack made no tarballs"; fi
pass "packed $(basename "$main_tgz") ($(wc -c <"$main_tgz" | tr -d ' ') bytes) and $(basename "$platform_tgz") ($(wc -c <"$platform_tgz" | tr -d ' ') bytes)"

# The main package: exactly what a user needs. Anything else fails, so a new top-level file has to
# be added here on purpose. The face's modules are every tracked lib/*.js (package.json ships
# lib/*.js), so a new module is both allowed and required without editing this list.
main_files=$(tar -tzf "$main_tgz" | sort)
face_files=$(git ls-files 'lib/*.js' | sed 's|^|package/|')
allowed='package/package.json
package/README.md
package/LICENSE
package/index.js
package/index.mjs
package/edge.js
package/edge.mjs
package/index.d.ts
package/native.js
package/native.d.ts
package/jest/index.js
package/jest/index.d.ts
package/bin/authjs-rust-adapter.js'
required='package/package.json
package/index.js
package/index.mjs
package/edge.js
package/edge.mjs
package/index.d.ts
package/native.js
package/native.d.ts
package/bin/authjs-rust-adapter.js'
forbidden=$(printf '%s\n' "$main_files" | grep -E '\.rs$|(^|/)Cargo\.(toml|lock)$|^package/(target|src|npm|__test__|scripts|bench|examples|\.cargo|\.github)/|\.node$|\.sqlite|\.tgz$' || true)
[ -z "$forbidden" ] || fail "main tarball holds files it must not: $(echo "$forbidden" | tr '\n' ' ')"
allowed=$(printf '%s\n%s\n' "$allowed" "$face_files")
required=$(printf '%s\n%s\n' "$required" "$face_files")
unexpected=$(comm -23 <(printf '%s\n' "$main_files") <(printf '%s\n' "$allowed" | sort))
[ -z "$unexpected" ] || fail "main tarball holds files outside the allowed list: $(echo "$unexpected" | tr '\n' ' ')"
missing=$(comm -13 <(printf '%s\n' "$main_files") <(printf '%s\n' "$required" | sort))
[ -z "$missing" ] || fail "main tarball lacks: $(echo "$missing" | tr '\n' ' ')"
pass "main tarball holds only the allowed files ($(printf '%s\n' "$main_files" | wc -l | tr -d ' '): no .rs, Cargo files, target/ or .node)"

platform_files=$(tar -tzf "$platform_tgz" | sort)
expected_platform=$(printf 'package/README.md\npackage/%s\npackage/package.json\n' "$BINARY" | sort)
[ "$platform_files" = "$expected_platform" ] || fail "platform tarball holds: $(echo "$platform_files" | tr '\n' ' ')"
pass "platform tarball holds package.json, README.md and $BINARY only"

# The published shape: the packed main package.json names every platform package, at this very
# version, so that installing authjs-rust-adapter@$VERSION fetches the binary of the host.
tar -xzOf "$main_tgz" package/package.json >"$WORK/packed-package.json"
check=$(node scripts/check-versions.js --published "$WORK/packed-package.json") ||
  fail "the packed package.json lacks the platform packages in optionalDependencies"
[ "$(node -p "require('$WORK/packed-package.json').version")" = "$VERSION" ] || fail "the packed package.json is not at $VERSION"
[ "$(node -p "Object.keys(require('$WORK/packed-package.json').optionalDependencies).length")" = 8 ] ||
  fail "the packed package.json does not list exactly 8 optionalDependencies"
pass "packed package.json: ${check#check-versions: }"
[ "$(tar -xzOf "$platform_tgz" package/package.json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).version')" = "$VERSION" ] ||
  fail "the packed $NAME-$PLATFORM is not at $VERSION"
pass "packed $NAME-$PLATFORM is at $VERSION"

# The runtime dependencies (the command line's commander and cli-progress, and theirs), packed
# from this tree's node_modules: the installs below are offline and must still find them.
mkdir -p "$WORK/deps"
dep_tgzs=()
while IFS= read -r dir; do
  dep_tgzs+=("$WORK/deps/$(npm pack "$dir" --ignore-scripts --silent --pack-destination "$WORK/deps" | tail -n 1)")
done < <(node -e '
  const fs = require("fs"), path = require("path")
  const seen = new Set()
  const find = (name, from) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, "node_modules", name)
      if (fs.existsSync(path.join(candidate, "package.json"))) return candidate
      if (path.dirname(dir) === dir) throw new Error(`runtime dependency ${name} is not installed`)
    }
  }
  const walk = (name, from) => {
    const dir = find(name, from)
    if (seen.has(dir)) return
    seen.add(dir)
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
    for (const dep of Object.keys(pkg.dependencies || {})) walk(dep, dir)
  }
  for (const dep of Object.keys(require("./package.json").dependencies || {})) walk(dep, process.cwd())
  console.log([...seen].join("\n"))')
[ "${#dep_tgzs[@]}" -gt 0 ] || fail "no runtime dependency could be packed"
pass "packed the ${#dep_tgzs[@]} runtime dependencies from node_modules for the offline installs"

# Nothing may run at install time (no build step can hide behind an install script).
for tgz in "$main_tgz" "$platform_tgz"; do
  scripts=$(tar -xzOf "$tgz" package/package.json | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8")).scripts || {}
    console.log(["preinstall", "install", "postinstall", "prepare"].filter((k) => k in s).join(" "))')
  [ -z "$scripts" ] || fail "$(basename "$tgz") has install-time scripts: $scripts"
done
pass "neither tarball has an install-time script"

# --- 4. install with no Rust toolchain -----------------------------------------------------
# A bin dir with just node and npm, then the system dirs; no ~/.cargo/bin, fresh HOME (no
# ~/.cargo, no ~/.npmrc), empty npm cache, --offline: nothing can be compiled or downloaded.
ln -s "$(command -v node)" "$WORK/bin/node"
ln -s "$(command -v npm)" "$WORK/bin/npm"
BARE_PATH=$WORK/bin:/usr/bin:/bin
bare() {
  env -i HOME="$WORK/home" PATH="$BARE_PATH" TMPDIR="${TMPDIR:-/tmp}" CI="${CI:-}" \
    npm_config_cache="$WORK/npm-cache" npm_config_update_notifier=false \
    npm_config_audit=false npm_config_fund=false "$@"
}
for tool in cargo rustc rustup cargo-zigbuild; do
  if bare bash -c "command -v $tool" >/dev/null 2>&1; then
    fail "$tool is on the no-toolchain PATH ($BARE_PATH): $(bare bash -c "command -v $tool")"
  fi
done
pass "no cargo, rustc, rustup or cargo-zigbuild on the install PATH ($BARE_PATH), HOME is empty"

(cd "$WORK/app" && bare npm init -y >/dev/null)
# Both tarballs in one install: npm takes authjs-rust-adapter-linux-x64-gnu from the local
# tarball; the other seven optional platform packages fail offline and are skipped.
(cd "$WORK/app" && bare npm install --offline --no-audit --no-fund --loglevel=error "$main_tgz" "$platform_tgz" "${dep_tgzs[@]}") ||
  fail "npm install of the two tarballs (offline, no Rust) failed"
[ -f "$WORK/app/node_modules/$NAME-$PLATFORM/$BINARY" ] || fail "the install has no node_modules/$NAME-$PLATFORM/$BINARY"
for dir in "$WORK/app/node_modules/$NAME"-*; do
  [ "$(basename "$dir")" = "$NAME-$PLATFORM" ] || fail "another platform package was installed: $(basename "$dir")"
done
pass "npm install --offline of both tarballs into a fresh project, with no Rust toolchain and no registry"

cat >"$WORK/app/smoke.js" <<'EOF'
'use strict'
const assert = require('node:assert/strict')
const path = require('node:path')
const { randomUUID } = require('node:crypto')
const { RustAdapter } = require('authjs-rust-adapter')

async function main() {
  const filename = path.join(__dirname, 'auth.sqlite')
  const adapter = RustAdapter({ filename, secret: 'package-test-secret' })

  // The binary came from the platform package, not from anywhere else.
  const binaries = Object.keys(require.cache).filter((file) => file.endsWith('.node'))
  assert.equal(binaries.length, 1, `one native binary loaded: ${binaries}`)
  assert.equal(
    path.relative(__dirname, binaries[0]),
    path.join('node_modules', 'authjs-rust-adapter-linux-x64-gnu', 'authjs-rust-adapter.linux-x64-gnu.node'),
  )
  console.log(`PASS binary loaded from ${path.relative(__dirname, binaries[0])}`)

  const user = await adapter.createUser({
    id: randomUUID(),
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    emailVerified: null,
    image: null,
  })
  assert.equal(user.email, 'ada@example.com')
  assert.deepEqual(await adapter.getUser(user.id), user)
  console.log('PASS createUser + getUser')

  const account = {
    userId: user.id,
    type: 'oauth',
    provider: 'github',
    providerAccountId: '4242',
    access_token: 'gho_access',
    token_type: 'bearer',
    scope: 'read:user',
  }
  await adapter.linkAccount(account)
  assert.deepEqual(await adapter.getUserByAccount({ provider: 'github', providerAccountId: '4242' }), user)
  console.log('PASS linkAccount + getUserByAccount')

  const expires = new Date(Date.now() + 30 * 24 * 3600 * 1000)
  const sessionToken = randomUUID()
  const session = await adapter.createSession({ sessionToken, userId: user.id, expires })
  assert.equal(session.sessionToken, sessionToken)
  const found = await adapter.getSessionAndUser(sessionToken)
  assert.ok(found, 'getSessionAndUser found the session')
  assert.equal(found.session.userId, user.id)
  assert.equal(found.session.expires.getTime(), expires.getTime())
  assert.deepEqual(found.user, user)
  assert.equal(await adapter.getSessionAndUser('no-such-token'), null)
  console.log('PASS createSession + getSessionAndUser')

  const vt = { identifier: 'ada@example.com', token: 'hashed-token', expires }
  const created = await adapter.createVerificationToken(vt)
  assert.equal(created.identifier, vt.identifier)
  const used = await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token })
  assert.equal(used.token, vt.token)
  assert.equal(used.expires.getTime(), expires.getTime())
  assert.equal(await adapter.useVerificationToken({ identifier: vt.identifier, token: vt.token }), null)
  console.log('PASS createVerificationToken + useVerificationToken (single use)')

  await adapter.close()
  await assert.rejects(adapter.getUser(user.id), (error) => error.code === 'CLOSED')
  console.log('PASS close')

  // The ESM entry of the same install.
  const esm = await import('authjs-rust-adapter')
  assert.equal(typeof esm.RustAdapter, 'function')
  assert.equal(esm.default, esm.RustAdapter)
  assert.equal(typeof esm.RustClientDb, 'function')
  const again = esm.RustAdapter({ filename })
  assert.deepEqual(await again.getUser(user.id), user)
  await again.close()
  console.log('PASS ESM import reads the same file')
}

main().catch((error) => {
  console.error(`FAIL smoke: ${error && error.stack ? error.stack : error}`)
  process.exit(1)
})
EOF
(cd "$WORK/app" && bare node smoke.js) || fail "smoke test from the install"
pass "smoke test from the installed package (no Rust on PATH)"

# The command line of the install: its bin runs, on the binary of the platform package.
cli_out=$(cd "$WORK/app" && bare ./node_modules/.bin/authjs-rust-adapter stats --filename cli.sqlite --json) ||
  fail "the installed authjs-rust-adapter command failed: $cli_out"
echo "$cli_out" | node -e 'const s = JSON.parse(require("fs").readFileSync(0, "utf8")); process.exit(s.backend === "sqlite" && s.rows.users === 0 ? 0 : 1)' ||
  fail "the installed authjs-rust-adapter stats printed: $cli_out"
(cd "$WORK/app" && bare ./node_modules/.bin/authjs-rust-adapter --help >/dev/null) || fail "authjs-rust-adapter --help from the install"
pass "the installed bin authjs-rust-adapter runs (--help, stats --json)"

# The Edge entry of the same install: what an Edge or browser bundler resolves (its export
# conditions) loads no binary, and its methods reject with NODE_RUNTIME_REQUIRED.
cat >"$WORK/app/edge.mjs" <<'EOF'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
const resolved = import.meta.resolve('authjs-rust-adapter')
assert.match(resolved, /\/node_modules\/authjs-rust-adapter\/edge\.mjs$/)
const { RustAdapter } = await import('authjs-rust-adapter')
await assert.rejects(RustAdapter({ filename: 'auth.sqlite' }).getUser('x'), (error) => error.code === 'NODE_RUNTIME_REQUIRED')
const binaries = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.endsWith('.node'))
assert.deepEqual(binaries, [])
console.log(`PASS edge-light condition: ${resolved.replace(/^.*node_modules\//, '')}, no binary loaded, calls reject with NODE_RUNTIME_REQUIRED`)
EOF
(cd "$WORK/app" && bare node --conditions=edge-light edge.mjs) || fail "edge entry from the install"
pass "the edge-light condition resolves the installed package to edge.mjs, which loads no binary"

# --- 5. main package alone: the clear error -------------------------------------------------
(cd "$WORK/bare" && bare npm init -y >/dev/null)
(cd "$WORK/bare" && bare npm install --offline --omit=optional --no-audit --no-fund --loglevel=error "$main_tgz" "${dep_tgzs[@]}") ||
  fail "npm install of the main tarball alone failed"
if ls -d "$WORK/bare/node_modules/$NAME"-* >/dev/null 2>&1; then fail "a platform package was installed with --omit=optional"; fi
pass "main tarball installed alone (optional dependencies omitted): no platform package"

cat >"$WORK/bare/no-binary.js" <<'EOF'
'use strict'
const assert = require('node:assert/strict')
// Loading the package itself works; the binary is loaded on first use.
const { RustAdapter } = require('authjs-rust-adapter')
let error
try {
  RustAdapter({ filename: ':memory:' })
} catch (e) {
  error = e
}
assert.ok(error, 'RustAdapter() threw')
assert.ok(error instanceof Error)
assert.equal(error.code, 'NO_PREBUILT_BINARY')
assert.match(error.message, /no prebuilt binary for linux-x64\b/)
assert.match(error.message, /build it from source/)
assert.match(error.message, /NAPI_RS_NATIVE_LIBRARY_PATH/)
assert.doesNotMatch(error.message, /^Cannot find module/)
console.log(`PASS error: code=${error.code}, message: ${error.message}`)
EOF
(cd "$WORK/bare" && bare node no-binary.js) || fail "no-binary check"
pass "without a platform package, RustAdapter() throws NO_PREBUILT_BINARY naming linux-x64"

# The way out that the error names: a binary built from source, given by path.
cat >"$WORK/bare/from-source.js" <<'EOF'
'use strict'
const assert = require('node:assert/strict')
const { RustAdapter } = require('authjs-rust-adapter')
async function main() {
  const adapter = RustAdapter({ filename: ':memory:' })
  const user = await adapter.createUser({ id: 'u1', email: 'x@example.com', emailVerified: null })
  assert.equal((await adapter.getUser('u1')).email, user.email)
  await adapter.close()
}
main().then(
  () => console.log(`PASS adapter works with NAPI_RS_NATIVE_LIBRARY_PATH=${process.env.NAPI_RS_NATIVE_LIBRARY_PATH}`),
  (error) => {
    console.error(`FAIL ${error && error.stack ? error.stack : error}`)
    process.exit(1)
  },
)
EOF
(cd "$WORK/bare" && bare env NAPI_RS_NATIVE_LIBRARY_PATH="$ROOT/$BINARY" node from-source.js) ||
  fail "NAPI_RS_NATIVE_LIBRARY_PATH route"
pass "the same install works once NAPI_RS_NATIVE_LIBRARY_PATH names a binary built from source"

# --- 6. the working tree is as it was -------------------------------------------------------
[ "$(tree_state)" = "$tree_before" ] ||
  fail "package.json optionalDependencies/version or npm/ changed during the run: $(diff <(echo "$tree_before") <(tree_state) | tr '\n' ' ')"
pass "package.json (no optionalDependencies, version $VERSION) and npm/ unchanged in the working tree"

echo "test:package: all checks passed"
