#!/usr/bin/env bash
# Installs Debian's redis-server (and openssl, which makes the TLS tests' self-signed
# certificate) for the sweep tests (apps/cli/test/sweep*.e2e.test.ts start their own server on
# 127.0.0.1 at a free port; nothing is started here). Safe to run again: it does nothing when
# both are already installed.
set -euo pipefail
packages=()
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
if [ "${#packages[@]}" -eq 0 ]; then exit 0; fi
printf '[setup] installing %s for the sweep tests\n' "${packages[*]}" >&2
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
$sudo_cmd apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
# Debian may start redis-server as a service; the tests do not need that one.
command -v redis-server >/dev/null 2>&1
command -v openssl >/dev/null 2>&1
