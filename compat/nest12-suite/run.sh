#!/usr/bin/env bash
# The repository's own jest suite against Nest 12 (ESM only): Nest 12, @nestjs/config 12, nestjs-pino 5
# installed in .compat/nest12-suite from the committed lock, Jest 30 on Node 24 (require(esm) of
# the VM modules, which Jest supports from Node 24.9), the suite's sources unchanged.
#
#   compat/nest12-suite/run.sh                       # the whole suite
#   compat/nest12-suite/run.sh test/tiers.e2e-spec.ts  # some files
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
t0=$(now)
ci_into "$ROOT/compat/nest12-suite" "$CACHE/nest12-suite"
bin=$(node_bin 24)
cd "$ROOT"
# Jest's VM-module registry grows with every test file run in one process (5.3 GB RSS over the whole
# suite in band, past Node's default heap limit near its end): one worker, replaced whenever it
# passes 1 GB after a file (1.8 GB RSS at most), runs the files one at a time as --runInBand would.
PATH="$bin:$PATH" EXPECT_NEST_MAJOR=12 NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning" \
  "$bin/node" "$CACHE/nest12-suite/node_modules/jest/bin/jest.js" --config compat/nest12-suite/jest.config.js --maxWorkers=1 --workerIdleMemoryLimit=1GB "$@"
echo "nest12 suite: $(elapsed "$t0") s"
