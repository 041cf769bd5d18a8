#!/usr/bin/env bash
# The nightly version of the checkpoint crash test: 1,000 (or N) SIGKILLs at
# random moments of checkpoint writing; after each, the newest loadable
# checkpoint must exist, load, and not go backwards. CI runs 100.
#
#   bench/checkpoint_kills.sh [N] [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kills=${1:-1000}
build=${2:-$root/build}
FLOWGRAD_CHECKPOINT_KILLS=$kills "$build/flowgrad_tests" -tc="kill -9 during checkpoint writing*"
