#!/usr/bin/env bash
# Builds smile and runs the whole test suite (labels fast, slow, media, gpu).
# Media tests read ../shared/media and skip with a message where it is absent;
# gpu tests skip without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
# The soak test (LiveSoakSlow) runs 10 minutes by default; here (and so in CI) 90 s.
# Full run: SMILE_SOAK_SECONDS=600 ctest -R LiveSoakSlow --output-on-failure
export SMILE_SOAK_SECONDS="${SMILE_SOAK_SECONDS:-90}"
cd "${SMILE_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 1500 "$@"
