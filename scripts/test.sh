#!/usr/bin/env bash
# Sets everything up, runs the format check, lint and typecheck of the whole tree, runs every
# package's tests and ends with one line: `N passed, N failed, N skipped`, summed over all
# packages (each of the three checks counts as one test). Exits non-zero when a check or a test
# failed, a package's test run crashed, or no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
# The tests' peer: @snn/bench checks that its PyTorch BPTT reference reproduces @snn/eprop's
# forward pass, with Debian's torch on OpenBLAS (the fair BLAS, see packages/bench/README.md).
bash scripts/setup-torch.sh || { echo "installing PyTorch for the bench tests failed"; echo "0 passed, 1 failed"; exit 1; }
# The sweep tests start real Redis servers (Debian's redis-server).
bash scripts/setup-redis.sh || { echo "installing redis-server for the sweep tests failed"; echo "0 passed, 1 failed"; exit 1; }

export EGL_PLATFORM=surfaceless
export TURBO_TELEMETRY_DISABLED=1
find packages apps tooling -maxdepth 2 -name .vitest-results.json -delete 2>/dev/null
rm -f .checks-results.json
# Format check, lint and typecheck of the whole tree; a failure is counted in the summary line.
node scripts/checks.mjs
pnpm exec turbo run test --concurrency=1 --output-logs=full "$@"
turbo_status=$?
node scripts/summarise-tests.mjs "$turbo_status"
