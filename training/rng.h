// Counter-based random numbers: every draw is a pure function of (seed, stream,
// counter), so results do not depend on thread scheduling and a saved
// (seed, counter) reproduces the stream exactly. Same values on every platform
// (std::shuffle / std::uniform_*_distribution are implementation-defined).
#pragma once

#include <cstdint>
#include <vector>

namespace smile::training {

// SplitMix64 finaliser: a good 64-bit mixing function.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Combines several keys into one seed.
inline uint64_t HashSeed(uint64_t a, uint64_t b, uint64_t c = 0, uint64_t d = 0) {
  return Mix64(Mix64(Mix64(Mix64(a) ^ b) ^ c) ^ d);
}

class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t counter = 0) : seed_(seed), counter_(counter) {}
  uint64_t Next() { return Mix64(seed_ ^ Mix64(counter_++)); }
  // Uniform in [0, 1).
  double Uniform() { return (Next() >> 11) * (1.0 / 9007199254740992.0); }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n) (n > 0), without modulo bias worth caring about at 64 bits.
  uint64_t Below(uint64_t n) { return static_cast<uint64_t>(Uniform() * static_cast<double>(n)) % n; }
  uint64_t seed() const { return seed_; }
  uint64_t counter() const { return counter_; }

 private:
  uint64_t seed_;
  uint64_t counter_;
};

// Fisher-Yates permutation of 0..n-1 drawn from `seed` (portable, deterministic).
inline std::vector<int64_t> Permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng.Below(static_cast<uint64_t>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return p;
}

}  // namespace smile::training
