# Sourced by scripts/train_*.sh (the recipes of the bundled models): paths, checks and the
# images/ + labels/ layout that `smile train` reads. Defines ROOT, SMILE, MEDIA.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMILE="${SMILE_BIN:-$ROOT/build/apps/smile}"
MEDIA="${SMILE_MEDIA_DIR:-$ROOT/../shared/media}"

# require_tools NAME: a built smile and the shared media, or a message naming the script.
require_tools() {
  [ -x "$SMILE" ] || { echo "$1: $SMILE not built; run scripts/build.sh first" >&2; exit 1; }
  [ -d "$MEDIA/video" ] || { echo "$1: shared media not found at $MEDIA (set SMILE_MEDIA_DIR)" >&2; exit 1; }
}

# link_parsed PARSE_DIR DEST: links every crop + label map of a `smile parse` output folder as
# DEST/images/<folder>_<n>.jpg and DEST/labels/<folder>_<n>.png.
link_parsed() {
  local d="$1" dest="$2" b f n
  b=$(basename "$d")
  mkdir -p "$dest/images" "$dest/labels"
  for f in "$d"/labels/*.png; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .png)
    ln -sf "$PWD/$d/aligned/$n.jpg" "$dest/images/${b}_$n.jpg"
    ln -sf "$PWD/$f" "$dest/labels/${b}_$n.png"
  done
}
