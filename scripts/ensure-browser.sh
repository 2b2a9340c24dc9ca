#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through ChromeDriver. Install them when
# missing (CI runs as root on a fresh machine); never skip the tests instead.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium and chromium-driver are needed for the browser tests:" >&2
  echo "  sudo apt-get install -y chromium chromium-driver" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
