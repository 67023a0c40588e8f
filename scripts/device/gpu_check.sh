#!/usr/bin/env bash
# GPU check of smile's CUDA paths on a machine that has a GPU, a CUDA LibTorch (the PyTorch
# wheel's) and nvcc but none of OpenCV, dlib, FFmpeg or GStreamer: builds the LibTorch-only
# units (models' networks and benchmark, the synthesis trainer, the CUDA label kernel) with
# their GoogleTest files, runs every test (the *Gpu suites compare each CUDA path with the CPU
# reference), then `bench models` on the GPU and on the CPU in the same process.
# Also runs on a CPU-only Debian machine (Debian's LibTorch; GPU tests skip) as a dry run.
#   scripts/device/prepare_deps.sh   (once, on the Debian machine)
#   scripts/device/gpu_check.sh OUTDIR
set -uo pipefail
GPU_CHECK_INCREMENTAL=${GPU_CHECK_INCREMENTAL:-}
cd "$(dirname "$0")/../.."
out=${1:-/tmp/gpu_check}
mkdir -p "$out"
deps=.device
build=${GPU_CHECK_BUILD:-/tmp/gpu_check_build}
mkdir -p "$build/obj"
[ -d "$deps/models" ] && export SMILE_MODELS_DIR="$PWD/$deps/models"
log() { echo "[gpu_check $(date +%H:%M:%S)] $*"; }

# LibTorch: the Python wheel's if there is one, else Debian's.
if tdir=$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null); then
  abi=$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))')
  inc="-I$tdir/include -I$tdir/include/torch/csrc/api/include"
  libdir=$tdir/lib
  std=c++17
  grep -rqs "cxx_std_20" "$tdir/share/cmake" && std=c++20
  rpl=""
  for d in "$tdir"/../nvidia/*/lib; do [ -d "$d" ] && rpl="$rpl -Wl,-rpath-link,$d"; done
  log "LibTorch $(python3 -c 'import torch; print(torch.__version__)') at $tdir (ABI $abi, $std)"
else
  abi=1; inc="-I/usr/include/torch/csrc/api/include"; libdir=/usr/lib/x86_64-linux-gnu; std=c++17; rpl=""
  log "Debian LibTorch (dry run)"
fi
torch_libs="-L$libdir -Wl,-rpath,$libdir"
[ -e "$libdir/libtorch_cuda.so" ] && torch_libs="$torch_libs -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed"
torch_libs="$torch_libs -ltorch -ltorch_cpu -lc10 $rpl -Wl,--allow-shlib-undefined"
cuda_defs="" cuda_objs="" cuda_libs=""
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
cflags="-std=$std -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=$abi -DSMILE_MEDIA_DIR=\"/nonexistent\" -I. -I$deps/googletest/include -I$deps/benchmark/include $inc"

# The CUDA kernel (nvcc), when there is an nvcc.
if [ -x "$nvcc" ]; then
  cuda_defs="-DSMILE_WITH_CUDA=1"
  cuda_home=$(dirname "$(dirname "$nvcc")")
  log "nvcc: $("$nvcc" --version | tail -1)"
  "$nvcc" -std=c++17 -O2 -diag-suppress=2810 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_75,code=compute_75 \
    -DSMILE_WITH_CUDA=1 -I. -c models/cuda/label_ops.cu -o "$build/obj/label_ops_cu.o" || { log "nvcc failed"; exit 1; }
  cuda_objs="$build/obj/label_ops_cu.o"
  cuda_libs="-L$cuda_home/lib64 -Wl,-rpath,$cuda_home/lib64 -lcudart"
  cflags="$cflags -I$cuda_home/include"
fi

lib_srcs="core/status.cpp core/args.cpp models/config.cpp models/layers.cpp models/synthesis.cpp models/synthesis_fast.cpp
  models/checkpoint.cpp models/runtime.cpp models/parser_net.cpp models/manip.cpp models/manip_layers.cpp
  models/attributes.cpp models/bench.cpp models/tfjs_graph.cpp models/cuda/label_ops.cpp training/synth_trainer.cpp training/ema.cpp
  training/losses.cpp training/trainer_state.cpp"
tests="tests/models/label_ops_test.cpp tests/models/synthesis_test.cpp tests/models/synthesis_fast_test.cpp tests/models/tfjs_graph_test.cpp
  tests/training/synth_trainer_test.cpp"
all="$lib_srcs $tests scripts/device/bench_models_main.cpp $deps/googletest/src/gtest-all.cc $deps/googletest/src/gtest_main.cc"
log "compiling $(echo $all | wc -w) files on $(nproc) cores"
obj() { echo "$build/obj/$(echo "$1" | tr '/' '_').o"; }
export -f obj; export build cflags cuda_defs deps GPU_CHECK_INCREMENTAL
printf '%s\n' $all | xargs -P "$(nproc)" -I{} bash -c \
  '[ -n "${GPU_CHECK_INCREMENTAL:-}" ] && [ "$(obj {})" -nt {} ] && exit 0; g++ $cflags $cuda_defs -I$deps/googletest -c {} -o "$(obj {})" 2>"$(obj {}).log" || { echo "FAILED {}"; head -c 3000 "$(obj {}).log"; exit 255; }' \
  || { log "compile failed"; exit 1; }
lib_objs=""; for s in $lib_srcs; do lib_objs="$lib_objs $(obj $s)"; done
gtest_objs="$(obj $deps/googletest/src/gtest-all.cc) $(obj $deps/googletest/src/gtest_main.cc)"
bench_libs="-L$deps/benchmark/lib -Wl,-rpath,$PWD/$deps/benchmark/lib -lbenchmark"
status=0
for t in $tests; do
  name=$(basename "$t" .cpp)
  g++ -o "$build/$name" "$(obj $t)" $lib_objs $cuda_objs $gtest_objs $torch_libs $cuda_libs $bench_libs -lpthread \
    || { log "link $name failed"; status=1; continue; }
  log "running $name"
  OMP_WAIT_POLICY=PASSIVE "$build/$name" --gtest_filter="${GPU_CHECK_FILTER:-*Gpu*:LabelOps.*:Synthesis.*:SynthTrainer.*}" --gtest_output="xml:$out/$name.xml" 2>&1 | tee "$out/$name.log" \
    | grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|relative error|max abs err|L1 first|resumed|Failure|error" | head -80
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
g++ -o "$build/bench_models" "$(obj scripts/device/bench_models_main.cpp)" $lib_objs $cuda_objs $torch_libs $cuda_libs \
  $bench_libs -lpthread || { log "link bench failed"; exit 1; }
nets=${BENCH_NETWORKS:-generator,generator_fast_cl,generator_bf16,style_encoder,discriminator,manip_generator,parser}
[ "${GPU_CHECK_BENCH:-1}" = 0 ] && { log "done, no bench (status $status)"; exit $status; }
if [ "$cuda_defs" != "" ] && python3 -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  log "bench models on the GPU"
  "$build/bench_models" cuda "${BENCH_CONFIGS:-lite,small,paper128,paper}" "$nets" "${BENCH_ITERS:-20}" 3 2>&1 \
    | grep -v "^\*\*\*\|^---\|^Run on\|^CPU Caches\|^  L[123]\|^Load Average" | tee "$out/bench_cuda.txt"
fi
log "bench models on the CPU ($(nproc) cores)"
"$build/bench_models" cpu "${BENCH_CPU_CONFIGS:-small,paper128}" "$nets" "${BENCH_CPU_ITERS:-3}" 1 2>&1 \
  | grep -v "^\*\*\*\|^---\|^Run on\|^CPU Caches\|^  L[123]\|^Load Average" | tee "$out/bench_cpu.txt"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$out/gpu.txt"
log "done (status $status)"
exit $status
