#!/usr/bin/env bash
# Chromium for the browser tests (test/integration/journey-picture.test.ts drives it with
# playwright-core): Debian's package, from the machine's apt sources, when it is missing.
# Run by `npm test` only, so `npm start` never needs root or Debian.
set -euo pipefail

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "cairn: $chromium is missing, and the browser tests need it: install Debian's chromium package as root (apt-get install chromium), or run this as root on Debian" >&2
    exit 1
  fi
  echo "cairn: installing Debian's chromium package with apt-get..."
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x "$chromium" ] || { echo "cairn: apt-get installed chromium, yet $chromium is missing" >&2; exit 1; }
fi
