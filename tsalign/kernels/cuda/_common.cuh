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

// `combine` (COMBINE_SUM or COMBINE_MAX) is how a cell's cost meets the best
// predecessor: DTW adds them; the discrete Frechet distance keeps the larger
// (max-min instead of sum-min), which is all that differs between the two.
__device__ __forceinline__ real combine_cost(real c, real best, int combine)
{
    return combine == COMBINE_MAX ? (c > best ? c : best) : c + best;
}

// Cell (i, j) of a DTW-like anti-diagonal wavefront on an n x m pair: +inf out of
// band or unreachable, else the squared Euclidean cost of x[i] and y[j] (d
// features) combined with the best predecessor.  d1 and d2 hold diagonals k-1
// and k-2 by row; every cell of them was written (+inf when out of band), so the
// predecessors are read as they are.  Shared by dtw.cu and the early-abandoning
// search of neighbors.cu.
__device__ __forceinline__ real wavefront_cell(
    const real* x, const real* y, long long i, long long j, long long n, long long m,
    long long d, int kind, long long radius, double slope, const real* d1,
    const real* d2, int combine)
{
    const real INF = real_inf();
    if (!in_band(i, j, n, m, kind, radius, slope)) return INF;
    real best;
    if (i == 0 && j == 0) {
        best = 0;
    } else {
        best = INF;
        if (i > 0 && j > 0) best = d2[i - 1];
        if (i > 0 && d1[i - 1] < best) best = d1[i - 1];
        if (j > 0 && d1[i] < best) best = d1[i];
    }
    if (!(best < INF)) return INF;
    real c = 0;
    for (long long f = 0; f < d; ++f) {
        real diff = x[i * d + f] - y[j * d + f];
        c += diff * diff;
    }
    return combine_cost(c, best, combine);
}

// The best predecessor of cell (i, j) in a full matrix r (row stride `cols`) whose
// earlier anti-diagonals are filled: 0 for the first cell (with `free_start`, for
// every cell of row 0: a subsequence path), else the smallest of its neighbours.
__device__ __forceinline__ real matrix_predecessor(const real* r, long long cols, long long i,
                                                   long long j, int free_start)
{
    if (i == 0) return (j == 0 || free_start) ? (real)0 : r[j - 1];
    if (j == 0) return r[(i - 1) * cols];
    real best = r[(i - 1) * cols + j - 1];
    real up = r[(i - 1) * cols + j];
    real left = r[i * cols + j - 1];
    if (up < best) best = up;
    if (left < best) best = left;
    return best;
}

// Anti-diagonal k of an n x m wavefront covers rows i_lo(k) .. i_hi(k).
__device__ __forceinline__ long long diag_lo(long long k, long long m)
{
    return k - (m - 1) > 0 ? k - (m - 1) : 0;
}
__device__ __forceinline__ long long diag_hi(long long k, long long n)
{
    return k < n - 1 ? k : n - 1;
}

// One backtracking step from cell (i, j) of a matrix whose element (i, j) is
// r[i * si + j * sj]: row 0 goes left, column 0 up, elsewhere to the smallest
// predecessor, ties to the diagonal, then up, then left (tslearn's order).
__device__ __forceinline__ void step_back(const real* r, long long si, long long sj,
                                          long long& i, long long& j)
{
    if (i == 0) {
        j -= 1;
    } else if (j == 0) {
        i -= 1;
    } else {
        real dg = r[(i - 1) * si + (j - 1) * sj];
        real up = r[(i - 1) * si + j * sj];
        real lf = r[i * si + (j - 1) * sj];
        if (dg <= up && dg <= lf) { i -= 1; j -= 1; }
        else if (up <= lf) { i -= 1; }
        else { j -= 1; }
    }
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
