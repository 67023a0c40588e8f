#!/usr/bin/env bash
# Installs the Debian 12 packages smile needs, only those that are missing (run as root).
set -euo pipefail
PKGS=(build-essential cmake pkg-config ccache
  libtorch-dev libgloo-dev
  libopencv-dev opencv-data
  libavformat-dev libavcodec-dev libavutil-dev libswresample-dev libswscale-dev ffmpeg
  libdlib-dev libdlib-data libblas-dev liblapack-dev libopenblas0-pthread
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-libav gstreamer1.0-tools
  libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm (fetch_models.sh: pretrained TFJS models; the tfjs reference test) only when no node/npm is on
# PATH: a machine with another Node.js install (e.g. NodeSource, whose nodejs conflicts with Debian's
# npm) keeps its own.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all packages present"
  bash "$(dirname "$0")/fetch_models.sh" || echo "deps: pretrained models not fetched (run scripts/fetch_models.sh later)" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -q --no-install-recommends "${missing[@]}"
bash "$(dirname "$0")/fetch_models.sh" || echo "deps: pretrained models not fetched (run scripts/fetch_models.sh later)" >&2
