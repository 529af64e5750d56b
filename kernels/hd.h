// Host/device portability macros for the per-trial simulation.
//
// Everything under kernels/ is written once and compiled both by the host
// compiler (CPU backend) and by nvcc (CUDA backend). Without nvcc the CUDA
// qualifiers are defined away, as in the Thrust examples.
#pragma once

#if defined(__CUDACC__)
#define CAPPLAN_HD __host__ __device__
#define CAPPLAN_HD_INLINE __host__ __device__ __forceinline__
#else
#define CAPPLAN_HD
#define CAPPLAN_HD_INLINE inline
#endif

// Asks nvcc to unroll the loop that follows (host compilers decide alone).
#if defined(__CUDA_ARCH__)
#define CAPPLAN_UNROLL _Pragma("unroll")
#else
#define CAPPLAN_UNROLL
#endif
