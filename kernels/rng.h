// Counter-based random streams (Random123 Philox4x32-10).
//
// Every draw is a pure function of (seed, trial, stream id, event, index):
// the key is the 64-bit seed, the counter is {trial, stream id, event, index}.
// Nothing depends on which thread, batch, backend or rank simulates a trial,
// and a quantity's draws depend only on its own stable name (stream id), so
// adding or reordering other quantities leaves them unchanged.
#pragma once

#include <cstdint>

#include <Random123/philox.h>

#include "kernels/hd.h"

namespace capplan {

// FNV-1a 32-bit hash of a quantity's stable name: its stream id.
CAPPLAN_HD_INLINE std::uint32_t stream_id_of(const char* name) {
  std::uint32_t hash = 2166136261u;
  for (; *name; ++name) {
    hash ^= static_cast<unsigned char>(*name);
    hash *= 16777619u;
  }
  return hash;
}

// 52 random bits to a double strictly inside (0, 1): (m + 0.5) 2^-52, so the
// extremes are 2^-53 and 1 - 2^-53 (m + 0.5 needs 53 significant bits: exact).
CAPPLAN_HD_INLINE double bits_to_open_uniform(std::uint32_t high, std::uint32_t low) {
  const std::uint64_t m = (static_cast<std::uint64_t>(high) << 20) | (low >> 12);
  return (static_cast<double>(m) + 0.5) * (1.0 / 4503599627370496.0);
}

// A stream of uniforms for one (trial, stream id, event); each Philox block
// gives two doubles.
class UniformStream {
 public:
  CAPPLAN_HD_INLINE UniformStream(std::uint64_t seed, std::uint32_t trial, std::uint32_t stream_id,
                                  std::uint32_t event) {
    key_.v[0] = static_cast<std::uint32_t>(seed);
    key_.v[1] = static_cast<std::uint32_t>(seed >> 32);
    counter_.v[0] = trial;
    counter_.v[1] = stream_id;
    counter_.v[2] = event;
    counter_.v[3] = 0;
  }

  CAPPLAN_HD_INLINE double operator()() {
    if (buffered_ == 0) {
      block_ = r123::Philox4x32()(counter_, key_);
      ++counter_.v[3];
      buffered_ = 2;
    }
    const int i = 2 - buffered_;  // 0 then 1
    --buffered_;
    return bits_to_open_uniform(block_.v[2 * i], block_.v[2 * i + 1]);
  }

 private:
  r123::Philox4x32::key_type key_;
  r123::Philox4x32::ctr_type counter_;
  r123::Philox4x32::ctr_type block_;
  int buffered_ = 0;
};

// The first uniform of (trial, stream id, event 0): the draw of a quantity sampled once.
CAPPLAN_HD_INLINE double single_uniform(std::uint64_t seed, std::uint32_t trial, std::uint32_t stream_id) {
  UniformStream stream(seed, trial, stream_id, 0);
  return stream();
}

}  // namespace capplan
