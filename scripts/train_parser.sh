#!/usr/bin/env bash
# Reproduces the bundled learned parser (assets/models/parser.smile) from the shared media:
#   1. aligned 256 px crops + masks of the talking-head clips d3, d6, d10, d11, d14 (first 400
#      frames each) and of every portrait, from `smile parse --parser mesh` (68-point parts blended
#      with FaceMesh contours, hair / neck / cloth from the Selfie person mask; needs
#      scripts/fetch_models.sh), laid out as images/ + labels/ for `smile train`;
#   2. d18, d20 and s20 (first 150 frames; other people) held out the same way;
#   3. smile train parser (small: 128 px, width 16; cross-entropy + soft Dice; flips with left/right
#      label swap and small affines), then smile eval parser on the held-out crops (agreement with
#      the mesh parser) and on the CelebAMask-HQ ground truth.
#
#   scripts/train_parser.sh [WORK_DIR] [ITERS]      (defaults: runs/parser, 6000)
# Ctrl-C keeps the state; run the same command again with RESUME=1 to continue.
set -euo pipefail
source "$(dirname "$0")/train_common.sh"
WORK="${1:-runs/parser}"
ITERS="${2:-6000}"
require_tools train_parser
mkdir -p "$WORK"
cd "$WORK"
if [ ! -f parse.done ]; then
  for c in d3 d6 d10 d11 d14 d18 d20 s20; do
    n=400; case $c in d18|d20|s20) n=150;; esac
    echo "train_parser: parsing $c"
    "$SMILE" --quiet parse "$MEDIA/video/$c.mp4" -o "parse/$c" --no-overlay --parser mesh --max-frames $n
  done
  for f in "$MEDIA"/celebahq/*.jpg "$MEDIA"/faces/*.jpg "$MEDIA"/refs/*.png "$MEDIA"/refs/*.jpg; do
    [ -f "$f" ] || continue
    b=$(basename "${f%.*}")
    "$SMILE" --quiet parse "$f" -o "parse/photo_$b" --no-overlay --parser mesh || echo "train_parser: no face in $f (skipped)"
  done
  touch parse.done
fi
rm -rf data held
for d in parse/*; do
  case $(basename "$d") in d18|d20|s20) link_parsed "$d" held;; *) link_parsed "$d" data;; esac
done
echo "train_parser: $(ls data/labels | wc -l) training crops, $(ls held/labels | wc -l) held out"
"$SMILE" train parser --data data --out run --config small --iters "$ITERS" --batch 8 --seed 1 \
  --checkpoint-every 500 --sample-every 1000 ${RESUME:+--resume}
"$SMILE" eval parser --data held --parser geometric --parser run/parser.ckpt --json run/eval_held.json
"$SMILE" eval parser --data "$MEDIA/celebamask" --parser geometric --parser mesh --parser run/parser.ckpt \
  --json run/eval_celebamask.json
echo "train_parser: model in $WORK/run/parser.ckpt (copy it to assets/models/parser.smile to bundle it)"
