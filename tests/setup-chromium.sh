#!/usr/bin/env bash
# Installs Debian's chromium for the headless dashboard test (tests/integration/gateway/test_dashboard.py).
# Playwright drives this binary (executable_path=/usr/bin/chromium); it never downloads its own browsers.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
sudo_cmd=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then
    sudo_cmd="sudo"
fi
$sudo_cmd apt-get update
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y chromium chromium-driver
