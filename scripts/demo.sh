#!/usr/bin/env bash
# Runs the main job on the bundled defaults and writes the results under demo-out/.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SMILE_BUILD_DIR:-build}
exec "$BUILD_DIR/apps/smile" demo -o demo-out "$@"
