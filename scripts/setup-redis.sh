#!/usr/bin/env bash
# Installs Debian's redis-server for the sweep tests (apps/cli/test/sweep.e2e.test.ts start
# their own server on 127.0.0.1 at a free port; nothing is started here). Safe to run again:
# it does nothing when redis-server is already installed.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
printf '[setup] installing redis-server for the sweep tests\n' >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# Debian may start it as a service; the tests do not need that one.
command -v redis-server >/dev/null 2>&1
