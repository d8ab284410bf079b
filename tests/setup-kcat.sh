#!/usr/bin/env bash
# Installs Debian's kcat, a Kafka client that is not ours, for the downstream tests
# (tests/integration/downstream/): they read newswire.entries with it as docs/downstream.md says.
set -euo pipefail
if command -v kcat >/dev/null; then
    exit 0
fi
sudo_cmd=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then
    sudo_cmd="sudo"
fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq kcat >/dev/null
