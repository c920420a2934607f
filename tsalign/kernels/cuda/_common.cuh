// Shared device helpers for the tsalign CUDA kernels.
//
// Every .cu file is compiled once per float type with -DREAL_T=float or
// -DREAL_T=double (see _module.py), so kernels have plain extern "C" names.
// The codes and constants shared with Python and numba (band kinds, SSNT codes,
// TINY, MAX_THREADS, ...) come as -D defines from kernels/_contract.py
// (_module.cuda_defines); none is written here, so nothing can drift.
#pragma once

#ifndef TSALIGN_CONTRACT
#error "compile with the -D options of tsalign.kernels.cuda._module.cuda_defines()"
#endif
typedef REAL_T real;

__device__ __forceinline__ real real_inf() { return (real)(1.0 / 0.0); }

__device__ __forceinline__ double round2(double x) { return rint(x * 100.0) / 100.0; }

// Whether cell (i, j) of an n x m problem lies in the band (tslearn's masks:
// Sakoe-Chiba widened by |n - m|, Itakura bounds rounded to 2 decimals).
__device__ __forceinline__ bool in_band(long long i, long long j, long long n, long long m,
                                        int kind, long long radius, double slope) {
    if (kind == BAND_SAKOE_CHIBA) {
        if (n <= m) {
            long long width = m - n + radius;
            return j >= i - radius && j <= i + width;
        } else {
            long long width = n - m + radius;
            return j >= i - width && j <= i + radius;
        }
    } else if (kind == BAND_ITAKURA) {
        double ratio = (double)n / (double)m;
        double smax = slope * ratio;
        double smin = ratio / slope;
        double lo = ceil(fmax(round2(smin * j), round2((n - 1) - smax * (m - 1) + smax * j)));
        double hi = floor(fmin(round2(smax * j), round2((n - 1) - smin * (m - 1) + smin * j)) + 1.0);
        return (double)i >= lo && (double)i < hi;
    }
    return true;
}

// Reverse the k (i, j) pairs of a path written end -> start into start -> end
// (the backtracking kernels write them from the last cell).
__device__ __forceinline__ void reverse_path(long long* path, long long k) {
    for (long long t = 0; t < k / 2; ++t) {
        long long s = k - 1 - t;
        long long a0 = path[2 * t], a1 = path[2 * t + 1];
        path[2 * t] = path[2 * s];
        path[2 * t + 1] = path[2 * s + 1];
        path[2 * s] = a0;
        path[2 * s + 1] = a1;
    }
}
