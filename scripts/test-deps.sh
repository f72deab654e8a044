#!/usr/bin/env bash
# What the test suite needs beyond the Python lock file, installed only when missing:
#   docker-compose  Debian's compose, to validate docker-compose.yml offline (there is no Docker engine here)
#   chromium        headless browser for the dashboard tests (Playwright drives /usr/bin/chromium)
#   nodejs, npm     Node.js, and the npm packages of tests/interop (checks of our files with code written by others)
#   fonts-wqy-microhei  a font with Han characters (5 MB), so the dashboards' Chinese shows in the screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing system packages: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Exactly the versions of tests/interop/package-lock.json, installed again whenever that file changes.
stamp=tests/interop/node_modules/.installed-from-lock
if ! cmp -s tests/interop/package-lock.json "$stamp"; then
  npm ci --prefix tests/interop --silent --no-audit --no-fund
  cp tests/interop/package-lock.json "$stamp"
fi
