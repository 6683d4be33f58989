#!/usr/bin/env bash
# Sets up a fresh machine (Node 20 + apt) for the workspace: the system libraries that
# WebGPU-on-CPU needs (Mesa's EGL and llvmpipe for Dawn's OpenGL ES backend), Debian's chromium
# (the docs site's browser test drives it through playwright-core), pnpm, the dependencies, and
# a build of every package. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
for pkg in libegl-dev libegl-mesa0 libgl1-mesa-dri; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# `script` (a pseudo-terminal) lets the CLI's tests press Ctrl-C on a real terminal.
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
# apps/docs tests its built site in a real browser (never a downloaded one).
[ "$(dpkg-query -W -f='${Status}' chromium 2>/dev/null)" = "install ok installed" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing system packages for WebGPU on the CPU and the docs' browser test: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  log "installing pnpm@$PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" >/dev/null
fi

export TURBO_TELEMETRY_DISABLED=1
# Quiet when it works; on failure pnpm's own message (e.g. a lockfile out of date) is shown.
install_args=()
[ "${CI:-}" = "true" ] && install_args+=(--frozen-lockfile)
install_log="$(mktemp)"
if ! pnpm install "${install_args[@]}" --reporter=append-only >"$install_log" 2>&1; then
  cat "$install_log" >&2
  rm -f "$install_log"
  exit 1
fi
rm -f "$install_log"
log "building packages"
pnpm exec turbo run build --output-logs=errors-only >&2
