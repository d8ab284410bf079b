#!/usr/bin/env bash
# The local Apache Kafka of the suite needs Java 17+ and, on first start, Maven to fetch its jars
# (newswire/kafka/pom.xml). Installs Debian's packages when either is missing.
set -euo pipefail
major=0
if command -v java >/dev/null; then
    major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)\?.*/\1/p' | head -1)
fi
need=()
[ "${major:-0}" -ge 17 ] || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
[ ${#need[@]} -eq 0 ] && exit 0
sudo_cmd=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then
    sudo_cmd="sudo"
fi
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
