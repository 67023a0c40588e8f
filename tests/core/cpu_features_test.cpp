#include "core/cpu_features.h"

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace smile {
namespace {

// The kernel's own reading of cpuid: the first "flags" line of /proc/cpuinfo.
bool ProcFlags(std::set<std::string>* flags) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags->insert(w);
    return true;
  }
  return false;
}

TEST(CpuFeatures, AgreeWithTheKernelsFlags) {
  std::set<std::string> flags;
  if (!ProcFlags(&flags)) GTEST_SKIP() << "no x86 flags line in /proc/cpuinfo on this machine";
  EXPECT_EQ(Cpu().avx512_bf16, flags.count("avx512_bf16") == 1);
  EXPECT_EQ(Cpu().amx_bf16, flags.count("amx_bf16") == 1);
  EXPECT_EQ(Cpu().NativeBf16(), flags.count("avx512_bf16") == 1 || flags.count("amx_bf16") == 1);
}

}  // namespace
}  // namespace smile
