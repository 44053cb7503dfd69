#!/usr/bin/env bash
# The whole test suite, against the machine's real PostgreSQL and Redis when they are there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source scripts/browser.sh
exec .venv/bin/python -m pytest "$@"
