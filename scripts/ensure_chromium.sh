#!/usr/bin/env bash
# Install Debian's Chromium for the Playwright tests when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Debian's chromium is missing and this user cannot install it: browser tests will fail." >&2
  echo "Install it with: sudo apt-get install -y chromium fonts-noto-cjk" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
