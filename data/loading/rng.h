#pragma once
// Random numbers for augmentation. A sample's generator is a pure function of (seed, epoch, index), so a
// batch is the same whichever worker thread produced it and however many workers there are.
#include <cstdint>

namespace focal::data {

// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
uint64_t mix64(uint64_t x);
// Combines two words into a seed; order matters.
uint64_t combine_seed(uint64_t a, uint64_t b);
// The seed of sample `index` in `epoch` of a run seeded with `seed`.
uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index);

// xoshiro256** seeded through SplitMix64. Not thread-safe: one per sample.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform in [lo, hi).
  double uniform(double lo, double hi);
  // Uniform integer in [lo, hi], both ends included (Python's random.randint).
  int64_t randint(int64_t lo, int64_t hi);
  // Standard normal (Marsaglia's polar method).
  double normal();
  double normal(double mean, double std) { return mean + std * normal(); }
  // True with probability p.
  bool bernoulli(double p) { return uniform() < p; }

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace focal::data
