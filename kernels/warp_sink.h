// The warp sink of the per-trial aggregation (kernels/aggregate.h): the 32
// lanes of a GPU warp each aggregate their own trial, and the warp merges
// their updates into few atomic ones, so the counters equal the plain sink's
// bit for bit with far less atomic traffic.
//
// The merging is written against a small Warp interface, so that the same
// code runs on the GPU (backends/cuda_backend.cu implements it with CUDA's
// warp intrinsics and atomics) and in a host emulation that drives 32 lanes
// in lockstep (tests/test_aggregate.cpp). A Warp `w` provides:
//   w.lane()                  this lane, 0 .. 31
//   w.broadcast(v, from)      lane `from`'s v                (__shfl_sync)
//   w.shfl_xor(v, offset)     lane (lane ^ offset)'s v       (__shfl_xor_sync)
//   w.match_any(key)          the lanes whose key equals this lane's, as a
//                             bit mask                       (__match_any_sync)
//   w.ballot(p)               the lanes whose p is true      (__ballot_sync)
//   w.all(p)                  p on every lane                (__all_sync)
//   w.atomic_add(c, x), w.atomic_min(c, x), w.atomic_max(c, x)
//                             on 64-bit counters shared with other warps
// Values are 64-bit unsigned; every call but lane() and the atomics is
// collective: all 32 lanes make it together (full mask), inactive lanes too.
//
// How the warp merges (per cell of the record, then per outcome):
//  * when all active lanes hold the same value (common: nothing delivered
//    yet, or everything delivered), the leader -- the lowest active lane --
//    makes one update of n x the bin and n x the fixed-point value, one min
//    and one max;
//  * otherwise lanes that hit the same bin are grouped with match_any (one
//    atomic per distinct bin), and the sum, minimum and maximum are reduced
//    with shfl_xor butterflies (one atomic each per warp and cell);
//  * criticality and target hits: a ballot, and the leader adds its popcount.
// Minima and maxima are kept as order keys of the doubles (order_key()), so
// integer atomic min/max order them as doubles, -inf and negatives included.
// NaN is skipped, as by the plain sink; -0.0 arrives as +0.0 (aggregate_cell).
// Counters start at key(+inf) for minima and key(-inf) for maxima.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/aggregate.h"
#include "kernels/hd.h"

namespace capplan {

constexpr std::uint64_t kOrderKeySignBit = 0x8000000000000000ull;
constexpr std::uint64_t kKeyPosInf = 0xfff0000000000000ull;  // order_key(+inf)
constexpr std::uint64_t kKeyNegInf = 0x000fffffffffffffull;  // order_key(-inf)

CAPPLAN_HD_INLINE std::uint64_t double_bits(double v) {
#if defined(__CUDA_ARCH__)
  return static_cast<std::uint64_t>(__double_as_longlong(v));
#else
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
#endif
}

// An unsigned key with the order of the doubles (NaN excluded by the caller):
// positive values set the sign bit, negative values flip every bit.
CAPPLAN_HD_INLINE std::uint64_t order_key(double v) {
  const std::uint64_t b = double_bits(v);
  return (b & kOrderKeySignBit) ? ~b : (b | kOrderKeySignBit);
}

// The double whose order_key() is `key`.
inline double key_to_double(std::uint64_t key) {
  const std::uint64_t bits = (key & kOrderKeySignBit) ? (key ^ kOrderKeySignBit) : ~key;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// The number of lanes in a lane mask.
CAPPLAN_HD_INLINE unsigned lane_count(unsigned lanes) {
#if defined(__CUDA_ARCH__)
  return static_cast<unsigned>(__popc(lanes));
#else
  return static_cast<unsigned>(__builtin_popcount(lanes));
#endif
}

// The lowest lane of a lane mask; 32 for none.
CAPPLAN_HD_INLINE unsigned lowest_lane(unsigned lanes) {
#if defined(__CUDA_ARCH__)
  return lanes != 0 ? static_cast<unsigned>(__ffs(static_cast<int>(lanes)) - 1) : 32u;
#else
  return lanes != 0 ? static_cast<unsigned>(__builtin_ctz(lanes)) : 32u;
#endif
}

template <class Warp>
class WarpSink {
 public:
  using Extremum = std::uint64_t;  // order_key() of the double

  // `active_lanes`: the lanes that hold a trial (the ballot of `active`).
  CAPPLAN_HD_INLINE WarpSink(const Warp& warp, bool active, unsigned active_lanes)
      : warp_(warp),
        lane_(warp.lane()),
        leader_(lowest_lane(active_lanes)),
        active_count_(lane_count(active_lanes)),
        active_(active) {}

  CAPPLAN_HD_INLINE bool active() const { return active_; }

  CAPPLAN_HD_INLINE unsigned uniform(double value) {
    const std::uint64_t bits = double_bits(value);
    const std::uint64_t first = warp_.broadcast(bits, leader_);
    return warp_.all(!active_ || bits == first) ? active_count_ : 0;
  }
  CAPPLAN_HD_INLINE void add_uniform(std::uint64_t* counter, std::uint64_t x) {
    if (lane_ == leader_ && x != 0) warp_.atomic_add(counter, x);
  }
  CAPPLAN_HD_INLINE void min_uniform(std::uint64_t* key, double v) {
    if (lane_ == leader_ && v == v) warp_.atomic_min(key, order_key(v));
  }
  CAPPLAN_HD_INLINE void max_uniform(std::uint64_t* key, double v) {
    if (lane_ == leader_ && v == v) warp_.atomic_max(key, order_key(v));
  }

  // table[index] += 1 for every active lane, one atomic per distinct index
  // (inactive lanes key ~0, an index no table reaches).
  CAPPLAN_HD_INLINE void count(std::uint64_t* table, std::uint64_t index) {
    const unsigned peers = warp_.match_any(active_ ? index : ~std::uint64_t(0));
    if (active_ && lane_ == lowest_lane(peers)) warp_.atomic_add(table + index, lane_count(peers));
  }
  CAPPLAN_HD_INLINE void add(std::uint64_t* counter, std::uint64_t x) {
    std::uint64_t total = active_ ? x : 0;
    CAPPLAN_UNROLL
    for (int offset = 16; offset > 0; offset >>= 1) total += warp_.shfl_xor(total, offset);
    if (lane_ == leader_ && total != 0) warp_.atomic_add(counter, total);
  }
  CAPPLAN_HD_INLINE void minimum(std::uint64_t* key, double v) {
    std::uint64_t low = active_ && v == v ? order_key(v) : kKeyPosInf;
    CAPPLAN_UNROLL
    for (int offset = 16; offset > 0; offset >>= 1) {
      const std::uint64_t other = warp_.shfl_xor(low, offset);
      low = other < low ? other : low;
    }
    // key(+inf) changes no minimum: skip the atomic.
    if (lane_ == leader_ && low != kKeyPosInf) warp_.atomic_min(key, low);
  }
  CAPPLAN_HD_INLINE void maximum(std::uint64_t* key, double v) {
    std::uint64_t high = active_ && v == v ? order_key(v) : kKeyNegInf;
    CAPPLAN_UNROLL
    for (int offset = 16; offset > 0; offset >>= 1) {
      const std::uint64_t other = warp_.shfl_xor(high, offset);
      high = other > high ? other : high;
    }
    if (lane_ == leader_ && high != kKeyNegInf) warp_.atomic_max(key, high);
  }
  CAPPLAN_HD_INLINE void count_if(std::uint64_t* counter, bool yes) {
    const unsigned lanes = warp_.ballot(active_ && yes);
    if (lane_ == leader_ && lanes != 0) warp_.atomic_add(counter, lane_count(lanes));
  }

 private:
  Warp warp_;
  unsigned lane_;
  unsigned leader_;  // the lowest active lane: makes the once-per-warp updates
  unsigned active_count_;
  bool active_;
};

}  // namespace capplan
