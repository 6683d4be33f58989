#!/usr/bin/env bash
# Installs Debian's PyTorch on OpenBLAS (python3-torch, libopenblas0-pthread) for /usr/bin/python3:
# the peer of @snn/bench's BPTT references (timing and accuracy suites) and of their tests.
# Safe to run again: it skips what is there. Not part of `npm start` (the main job needs no Python).
set -euo pipefail
missing=()
for pkg in python3-torch libopenblas0-pthread; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
printf '[setup] installing %s (PyTorch on OpenBLAS, for the BPTT references)\n' "${missing[*]}" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
