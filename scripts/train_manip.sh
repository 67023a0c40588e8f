#!/usr/bin/env bash
# Reproduces the bundled manipulation model (assets/models/manip.smile) from the shared media:
#   1. aligned 256 px masks of the talking-head clips d3 (all frames), d6, d10, d11, d14 (first 200
#      frames each) and of every portrait (smile parse: BlazeFace + the geometric parser, as the
#      bundled model was made; PARSER=mesh for FaceMesh masks), laid out as images/ + labels/ for
#      `smile train`;
#   2. d18, d20 and s20 (first 200 frames; other people) as held-out label maps for
#      `smile edit --evaluate`;
#   3. smile train manip (StarGAN v2 recipe at 64 px; 70 % of the samples moved by procedural mask
#      edits into the domains the data lacks: hats, earrings, most eyeglasses).
#
#   scripts/train_manip.sh [WORK_DIR] [ITERS]      (defaults: runs/manip, 8000)
# Ctrl-C keeps the state; run the same command again with RESUME=1 to continue.
set -euo pipefail
source "$(dirname "$0")/train_common.sh"
WORK="${1:-runs/manip}"
ITERS="${2:-8000}"
PARSER="${PARSER:-geometric}"
require_tools train_manip
mkdir -p "$WORK"
cd "$WORK"
if [ ! -f parse.done ]; then
  for c in d3 d6 d10 d11 d14 d18 d20 s20; do
    n=200; [ "$c" = d3 ] && n=0
    echo "train_manip: parsing $c"
    "$SMILE" --quiet parse "$MEDIA/video/$c.mp4" -o "parse/$c" --no-overlay --max-frames $n --parser "$PARSER"
  done
  for f in "$MEDIA"/celebahq/*.jpg "$MEDIA"/faces/*.jpg "$MEDIA"/refs/*.png; do
    [ -f "$f" ] || continue
    b=$(basename "${f%.*}")
    "$SMILE" --quiet parse "$f" -o "parse/photo_$b" --no-overlay --parser "$PARSER" || echo "train_manip: no face in $f (skipped)"
  done
  touch parse.done
fi
rm -rf data heldout
for d in parse/*; do
  b=$(basename "$d")
  case $b in d18|d20|s20) mkdir -p "heldout/$b"; cp "$d"/labels/*.png "heldout/$b/"; continue;; esac
  link_parsed "$d" data
done
echo "train_manip: $(ls data/labels | wc -l) training masks, $(ls heldout/*/ | grep -c png) held out"
"$SMILE" train manip --data data --out run \
  --config "small:manip_size=64,manip_base_width=8,channel_multiplier=0.0625,manip_landmark_skips=0" \
  --iters "$ITERS" --batch 4 --lr 3e-4 --edit-probability 0.7 --seed 1 --checkpoint-every 250 --sample-every 500 \
  ${RESUME:+--resume}
"$SMILE" edit --evaluate heldout --manip run/manip.ckpt --every 2
echo "train_manip: model in $WORK/run/manip.ckpt (copy it to assets/models/manip.smile to bundle it)"
