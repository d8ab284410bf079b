#!/usr/bin/env bash
# System packages some tests drive (Debian): run by `make test` before the suite; does nothing when present.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for script in "$here"/setup-*.sh; do
  [ "$script" = "$here/setup-system.sh" ] && continue
  bash "$script"
done
