#!/usr/bin/env bash
# System packages the test suite needs beyond the Python lock file, installed only when missing:
#   docker-compose  Debian's compose, to validate docker-compose.yml offline (there is no Docker engine here)
#   chromium        headless browser for the dashboard tests (Playwright drives /usr/bin/chromium)
set -euo pipefail
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing system packages: ${need[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
