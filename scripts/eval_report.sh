#!/usr/bin/env bash
# Regenerates the evaluation report of the bundled models on the shared media (issue #9):
#   1. self-reenactment of the bundled identity on the held-out end of the clip it was fitted
#      on (smile eval fit: PSNR / SSIM / RMSE in the head region, landmark / pose error, cycle
#      mIoU; LPIPS and FID when the feature networks are given);
#   2. the identity swapped into every shared clip (first $FRAMES frames each) and each swap
#      measured against its input (smile eval video --identity: flicker, warping error, track
#      continuity, landmark / pose error, face descriptor distances to the identity);
#   3. the identity reenacted by driver clips (smile eval reenact: expression landmark error,
#      mouth / eye openness correlation, flicker, identity);
#   4. manipulation (smile eval manip) when a manipulation model and an attribute classifier are
#      given, else a note in the report that there is no model;
#   5. one self-contained HTML page (smile eval report) and a Markdown summary of the key figures.
#
# usage: scripts/eval_report.sh [OUT_DIR]          (default: build/eval-report)
# Run from a built tree (scripts/build.sh). Settings (environment):
#   SMILE_BIN   the smile binary                (default: build/apps/smile)
#   MEDIA       the shared media folder         (default: ../shared/media)
#   MODEL       identity model                  (default: assets/models/identity.smile)
#   FIT_VIDEO   the clip MODEL was fitted on    (default: $MEDIA/video/d14.mp4, the bundled identity's)
#   FIT_FRAMES  held-out frames for eval fit, evenly spaced; 0 = all   (default: 0)
#   FRAMES      frames per clip for swaps and reenactments              (default: 120)
#   CLIPS       clips to swap into (names)      (default: every $MEDIA/video/*.mp4)
#   DRIVERS     driver clips for reenactment    (default: "d11 d3")
#   LPIPS, INCEPTION   TorchScript feature networks (not bundled; see smile eval fit --help)
#   MANIP, ATTR        manipulation checkpoint and attribute classifier for eval manip
#   LOSS_LOGS   training loss logs (JSONL) to plot, space-separated (default: $MODEL.losses.jsonl
#               when it exists: the bundled identity's fit log)
#   NICE        niceness of the runs             (default: 10)
# Frames and videos are written to OUT_DIR; the report is OUT_DIR/report.html, the summary
# OUT_DIR/summary.md. A rerun reuses finished swaps / reenactments and the results (JSON) of
# evaluations newer than their video (FRESH=1 redoes the evaluations; delete OUT_DIR to redo all).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${1:-build/eval-report}
SMILE_BIN=${SMILE_BIN:-$ROOT/build/apps/smile}
MEDIA=${MEDIA:-${SMILE_MEDIA_DIR:-$ROOT/../shared/media}}
MODEL=${MODEL:-$ROOT/assets/models/identity.smile}
FIT_VIDEO=${FIT_VIDEO:-$MEDIA/video/d14.mp4}
FIT_FRAMES=${FIT_FRAMES:-0}
FRAMES=${FRAMES:-120}
DRIVERS=${DRIVERS:-"d11 d3"}
NICE=${NICE:-10}
export OMP_WAIT_POLICY=PASSIVE

die() { echo "eval_report: $*" >&2; exit 2; }
[[ -x $SMILE_BIN ]] || die "no smile binary at $SMILE_BIN; build first (bash scripts/build.sh) or set SMILE_BIN"
[[ -d $MEDIA/video ]] || die "no shared media at $MEDIA (folder video/ missing); set MEDIA"
[[ -f $MODEL ]] || die "identity model $MODEL does not exist; set MODEL"
[[ -f $FIT_VIDEO ]] || die "the clip the model was fitted on ($FIT_VIDEO) does not exist; set FIT_VIDEO"
mkdir -p "$OUT/json" "$OUT/video"
OUT=$(cd "$OUT" && pwd)
[[ ${FRESH:-0} == 1 ]] && rm -f "$OUT"/json/*.json
smile() { nice -n "$NICE" "$SMILE_BIN" --quiet "$@"; }
# fresh JSON VIDEO: true when JSON exists and is newer than VIDEO (its evaluation can be reused).
fresh() { [[ -f $1 && $1 -nt $2 ]]; }
used=()
t0=$(date +%s)
step() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }

# 1. Self-reenactment on the held-out frames.
fit_args=(--model "$MODEL" --video "$FIT_VIDEO" --frames "$FIT_FRAMES" --json "$OUT/json/01_fit.json")
[[ -n ${LPIPS:-} ]] && fit_args+=(--lpips "$LPIPS" --diversity 10)
[[ -n ${INCEPTION:-} ]] && fit_args+=(--inception "$INCEPTION")
used+=("$OUT/json/01_fit.json")
if fresh "$OUT/json/01_fit.json" "$MODEL"; then
  step "eval fit: reusing $OUT/json/01_fit.json"
else
  step "eval fit $(basename "$MODEL") on $(basename "$FIT_VIDEO")"
  smile eval fit "${fit_args[@]}" > "$OUT/fit.txt"
fi

# 2. Swap into every clip, then measure it against its input.
if [[ -n ${CLIPS:-} ]]; then
  clips=(); for c in $CLIPS; do clips+=("$MEDIA/video/$c.mp4"); done
else
  clips=("$MEDIA"/video/*.mp4)
fi
for clip in "${clips[@]}"; do
  name=$(basename "$clip" .mp4)
  out_video="$OUT/video/swap_$name.mp4"
  if [[ ! -f $out_video ]]; then
    step "swap into $name ($FRAMES frames)"
    smile swap --identity "$MODEL" --video "$clip" -o "$out_video" --max-frames "$FRAMES" > "$OUT/video/swap_$name.txt"
  fi
  json="$OUT/json/02_swap_$name.json"
  used+=("$json")
  fresh "$json" "$out_video" && { step "eval video $name: reusing $json"; continue; }
  step "eval video $name"
  smile eval video --input "$clip" --output "$out_video" --identity "$FIT_VIDEO" --max-frames "$FRAMES" \
    --json "$json" > "$OUT/video/eval_swap_$name.txt"
done

# 3. Reenactment of the identity (its own default layout) by driver clips.
for d in $DRIVERS; do
  driver="$MEDIA/video/$d.mp4"
  [[ -f $driver ]] || die "driver clip $driver does not exist; set DRIVERS"
  out_video="$OUT/video/reenact_$d.mp4"
  if [[ ! -f $out_video ]]; then
    step "reenact by $d ($FRAMES frames)"
    smile reenact --source "$MODEL" --driver "$driver" -o "$out_video" --max-frames "$FRAMES" > "$OUT/video/reenact_$d.txt"
  fi
  json="$OUT/json/03_reenact_$d.json"
  used+=("$json")
  fresh "$json" "$out_video" && { step "eval reenact $d: reusing $json"; continue; }
  step "eval reenact $d"
  smile eval reenact --driver "$driver" --output "$out_video" --identity "$FIT_VIDEO" --max-frames "$FRAMES" \
    --json "$json" > "$OUT/video/eval_reenact_$d.txt"
done

# 4. Manipulation.
notes=()
if [[ -n ${MANIP:-} && -n ${ATTR:-} ]]; then
  step "eval manip"
  smile eval manip --manip "$MANIP" --attr "$ATTR" --data "$MEDIA/celebamask" --json "$OUT/json/04_manip.json" \
    > "$OUT/manip.txt"
  used+=("$OUT/json/04_manip.json")
else
  notes+=(--note "Semantic manipulation (attribute AP / F1, cycle mIoU): not measured, no attribute classifier given. \
The bundled manipulation model (assets/models/manip.smile) is measured by smile edit --evaluate (assets/README.md); \
run with MANIP=assets/models/manip.smile ATTR=<attr.ckpt from smile train attr> to add smile eval manip.")
fi
[[ -z ${LPIPS:-} ]] && notes+=(--note "LPIPS and LPIPS diversity: not measured, no LPIPS network given (LPIPS=<TorchScript file>).")
[[ -z ${INCEPTION:-} ]] && notes+=(--note "FID: not measured, no Inception network given (INCEPTION=<TorchScript file>).")
logs=()
for l in ${LOSS_LOGS:-}; do logs+=(--loss-log "$l"); done
[[ -z ${LOSS_LOGS:-} && -f $MODEL.losses.jsonl ]] && logs+=(--loss-log "$MODEL.losses.jsonl")
[[ ${#logs[@]} -eq 0 ]] && notes+=(--note "Training loss curves: none given (LOSS_LOGS=<losses.jsonl ...>: a run folder's \
losses.jsonl or a fit's <model>.losses.jsonl, which smile fit writes beside the model).")
notes+=(--note "Settings: model $(basename "$MODEL") on $(basename "$FIT_VIDEO"); $FRAMES frames per swap / reenactment; \
eval fit frames: ${FIT_FRAMES} (0 = all held-out); smile $("$SMILE_BIN" --version 2>/dev/null | head -1 || true).")

# 5. The page and the summary.
step "report"
"$SMILE_BIN" eval report -o "$OUT/report.html" --title "smile evaluation: bundled models on the shared media" \
  --markdown "$OUT/summary.md" --inputs "${used[@]}" "${logs[@]}" "${notes[@]}"
step "done: $OUT/report.html, $OUT/summary.md"
