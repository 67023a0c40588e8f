// What the CPU can do natively, for choosing defaults (e.g. bf16 training arithmetic, which
// LibTorch's oneDNN kernels run fast only where the CPU has bfloat16 instructions).
#pragma once

namespace smile {

struct CpuFeatures {
  bool avx512_bf16 = false;  // AVX-512 BF16 (vdpbf16ps): cpuid leaf 7 sub-leaf 1, EAX bit 5
  bool amx_bf16 = false;     // AMX-BF16 tiles: cpuid leaf 7 sub-leaf 0, EDX bit 22
  // bfloat16 matrix products in hardware: bf16 mixed precision is then faster than fp32
  // (d14 fit, 15 minutes on 1 core with AVX-512 BF16: 1808 iterations against 1335).
  bool NativeBf16() const { return avx512_bf16 || amx_bf16; }
};

// Read once with cpuid (all false on CPUs other than x86-64).
const CpuFeatures& Cpu();

}  // namespace smile
