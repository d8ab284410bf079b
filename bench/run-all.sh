#!/usr/bin/env bash
# `make bench`: every benchmark with its default figures, one after the other (about 20 minutes).
# Each prints its own figures; run one alone for a shorter look (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
run() { echo; echo "== $*"; "$py" "$@"; }
run bench/producers_parse.py
run bench/enrich_speed.py
run bench/quality.py
run bench/processors.py
run bench/transactions.py
run bench/idle.py
run bench/gateway/run.py
run bench/e2e.py --duration "${NEWSWIRE_BENCH_E2E_SECONDS:-600}"
