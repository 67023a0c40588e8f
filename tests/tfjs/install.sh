#!/usr/bin/env bash
# Installs @tensorflow/tfjs (tests/tfjs/package.json) into a cache folder, once, for the
# C++ reference test. Prints the folder holding node_modules.
#   DIR default: $SMILE_TFJS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/smile/tfjs-ref
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DIR="${SMILE_TFJS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smile/tfjs-ref}"
mkdir -p "$DIR"
if [ ! -f "$DIR/node_modules/@tensorflow/tfjs/package.json" ] || ! cmp -s "$HERE/package.json" "$DIR/package.json"; then
  command -v npm >/dev/null || { echo "tfjs install: npm missing (sudo apt-get install nodejs npm)" >&2; exit 1; }
  cp "$HERE/package.json" "$DIR/package.json"
  (cd "$DIR" && npm install --silent --no-audit --no-fund --ignore-scripts >&2)
fi
echo "$DIR"
