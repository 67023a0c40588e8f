#!/usr/bin/env bash
# Configures and builds smile in Release under build/ (ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SMILE_BUILD_DIR:-build}
JOBS=${SMILE_JOBS:-$(nproc)}
# Relative paths in the ccache key let clones in other folders (CI) reuse the cache.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
