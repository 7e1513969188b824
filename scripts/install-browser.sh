#!/usr/bin/env bash
# Installs the browser the admin page's tests drive: Debian's chromium at /usr/bin/chromium.
# Idempotent; never downloads a browser build from anywhere but the system's package manager.
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  echo "chromium is installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "no $CHROMIUM and no apt-get: install chromium with your system's package manager," >&2
  echo "or point CHROMIUM_PATH at a chromium binary" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium
"$CHROMIUM" --version
