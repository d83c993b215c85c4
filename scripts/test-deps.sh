#!/usr/bin/env bash
# What `npm test` needs beside node_modules: redis-server + redis-cli (every storage suite),
# chromium (the dashboard browser test) and PostgreSQL's server binaries. Runs before `npm test`
# (its pretest) and in .ci/run. Installs what is missing through apt-get when it can (root, or sudo
# without a password); otherwise stops at once with the one command to run.
set -euo pipefail

missing=()
find_missing() {
  missing=()
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then missing+=(redis-server); fi
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ] || { echo "test-deps: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2; exit 1; }
  elif [ ! -x /usr/bin/chromium ]; then
    missing+=(chromium)
  fi
  if ! command -v initdb >/dev/null 2>&1 && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then missing+=(postgresql); fi
}
find_missing

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${missing[*]}; install them with your package manager (macOS: brew install redis chromium postgresql), then run npm test again" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "test-deps: missing ${missing[*]}; run this once, then npm test again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "test-deps: installing ${missing[*]} (apt-get) for the tests"
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
find_missing
if [ ${#missing[@]} -ne 0 ]; then
  echo "test-deps: still missing after apt-get: ${missing[*]}" >&2
  exit 1
fi
