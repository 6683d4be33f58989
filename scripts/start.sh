#!/usr/bin/env bash
# Sets everything up and runs the main job: `snn train` on the embedded default data.
# Extra arguments go to `snn train` (e.g. `npm start -- --epochs 1`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node apps/cli/dist/bin.js train "$@"
