#!/usr/bin/env bash
# First README command: install what is missing (apt), build Release, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
bash scripts/demo.sh
