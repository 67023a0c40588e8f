#!/usr/bin/env bash
# Copies the two test/benchmark libraries gpu_check.sh needs (GoogleTest sources, Google
# Benchmark headers + shared library) from this Debian machine into .device/, a folder that
# travels to a bare GPU machine (git ignores it via .git/info/exclude).
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.device
rm -rf "$dest" && mkdir -p "$dest/benchmark/lib" "$dest/benchmark/include"
cp -r /usr/src/googletest/googletest "$dest/googletest"
cp -r /usr/include/benchmark "$dest/benchmark/include/benchmark"
cp -L /usr/lib/x86_64-linux-gnu/libbenchmark.so.1debian "$dest/benchmark/lib/libbenchmark.so.1debian"
ln -sf libbenchmark.so.1debian "$dest/benchmark/lib/libbenchmark.so"
# The pretrained TFJS graphs (scripts/fetch_models.sh), when fetched here, for TfjsGraphGpu.
models=${SMILE_MODELS_DIR:-$HOME/.cache/smile/models}
if [ -d "$models" ]; then
  mkdir -p "$dest/models" && cp "$models"/*.json "$models"/*.bin "$models"/LICENSE* "$models"/VERSION "$dest/models/" 2>/dev/null || true
fi
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
du -sh "$dest"
