#!/usr/bin/env bash
# Runs the test suite on another Node.js line, with everything from the npm registry only:
#   .ci/node-line.sh <node version> [vitest arguments...]
# 1. The registry's node-<platform>-<arch> package brings that Node's binary and its headers
#    (include/node), so nothing is fetched from nodejs.org.
# 2. better-sqlite3 is a native module built for one Node ABI: a scratch copy of the project links
#    every dependency to the main install but holds its own better-sqlite3, compiled with node-gyp
#    against that Node's headers (npm_config_nodedir). prebuild-install is skipped: its binaries
#    come from GitHub, not the registry. The main install stays built for the Node that ran it.
# 3. vitest runs in the copy with that Node first on PATH, so spawned CLIs run on it too.
# Needs what the main install needs to build better-sqlite3: python3, make, a C++ compiler.
set -euo pipefail
version="$1"
shift
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="${WIAM_NODE_LINES_DIR:-${TMPDIR:-/tmp}/wiam-node-lines}/node-${version}"
platform_package="node-$(node -p process.platform)-$(node -p process.arch)"
runtime="$scratch/runtime/node_modules/$platform_package"
started=$SECONDS

if [ ! -x "$runtime/bin/node" ]; then
  # No install scripts: the platform package already holds the binary.
  npm install --no-audit --no-fund --ignore-scripts --no-save --prefix "$scratch/runtime" "${platform_package}@${version}"
fi
echo "node line $("$runtime/bin/node" --version) (ABI $("$runtime/bin/node" -p process.versions.modules)) in $scratch"

project="$scratch/project"
rm -rf "$project"
mkdir -p "$project/node_modules"
# The project as CI built it (dist/ included), without its dependencies or history.
tar -C "$root" --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$project" -xf -
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  name="$(basename "$entry")"
  [ "$name" = "better-sqlite3" ] || ln -s "$entry" "$project/node_modules/$name"
done
cp -R "$root/node_modules/better-sqlite3" "$project/node_modules/better-sqlite3"

node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
(
  cd "$project/node_modules/better-sqlite3"
  PATH="$runtime/bin:$PATH" npm_config_nodedir="$runtime" "$runtime/bin/node" "$node_gyp" rebuild --release --nodedir="$runtime" >"$scratch/better-sqlite3-build.log" 2>&1 ||
    { tail -40 "$scratch/better-sqlite3-build.log"; echo "building better-sqlite3 for Node ${version} failed"; exit 1; }
)
echo "better-sqlite3 built for Node ${version} in $((SECONDS - started)) s"

cd "$project"
# The tarball install test runs once, on the main line.
PATH="$runtime/bin:$PATH" WIAM_PACKAGE_INSTALL_TEST=0 "$runtime/bin/node" node_modules/vitest/vitest.mjs run "$@"
echo "Node ${version}: suite done in $((SECONDS - started)) s"
