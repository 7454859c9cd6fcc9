#!/bin/sh
# Makes sure the system Chromium that `npm run test:browser` drives (through playwright-core)
# is installed: apt-get installs Debian's `chromium` package when it is missing. Never
# downloads a Playwright browser. Exits non-zero if it cannot install.
set -eu

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: found $CHROMIUM_PATH"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM_PATH is missing and apt-get is not available; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "ensure-chromium: installing Chromium needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "ensure-chromium: installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null

if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM_PATH is still missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $CHROMIUM_PATH"
