// Soft-DTW on the GPU: anti-diagonal wavefront, one block per pair.
//
// Threads of a block stride over the cells of one anti-diagonal with a
// barrier between diagonals, so N and M are unbounded.  Each block reads its
// pair's lengths, so a batch mixes lengths freely.  With a Sakoe-Chiba band
// only the band's cells of each diagonal are visited (the work is
// O(N * radius)); the Itakura band is tested cell by cell.
//
// Numerics as on the CPU (kernels/cpu/soft_dtw.py): log-sum-exp shifted by the
// smallest predecessor, unreachable cells hold the finite sentinel `big` and a
// soft-min of three sentinels returns the sentinel untouched (no inf - inf);
// the forward pass for autograd stores the normalised soft-min weights of the
// diagonal and upper predecessors, W[(i * M + j) * 2 + {0, 1}], and the
// backward pass runs the E recursion on them without any exponential.
#include "_common.cuh"

// Rows [*lo, *hi] of anti-diagonal k (i + j = k) that can hold cells of an
// n x m problem; with a Sakoe-Chiba band, only the band's rows.
__device__ __forceinline__ void diag_range(long long k, long long n, long long m, int kind,
                                           long long radius, long long* lo, long long* hi) {
    long long a = k - (m - 1);
    *lo = a > 0 ? a : 0;
    *hi = k < n - 1 ? k : n - 1;
    if (kind == BAND_SAKOE_CHIBA) {
        // the band is -below <= j - i <= above (in_band() in _common.cuh)
        long long below, above;
        if (n <= m) {
            below = radius;
            above = m - n + radius;
        } else {
            below = n - m + radius;
            above = radius;
        }
        long long t = k - above;  // i >= ceil(t / 2)
        long long l2 = t >= 0 ? (t + 1) / 2 : -((-t) / 2);
        long long h2 = (k + below) / 2;  // i <= floor((k + below) / 2), k + below >= 0
        if (l2 > *lo) *lo = l2;
        if (h2 < *hi) *hi = h2;
    }
}

// (smallest, middle, largest) of three values, with min/max only.
__device__ __forceinline__ void sort3(real a, real b, real c, real* mn, real* md, real* mx) {
    real lo = fmin(a, b), hi = fmax(a, b);
    *mn = fmin(lo, c);
    *mx = fmax(hi, c);
    *md = fmax(lo, fmin(hi, c));
}

// Value of one cell from its three predecessors: cost + soft-min, or `big`.
// Writes the normalised weights of the diagonal and upper predecessors.  The
// smallest term is exp(0) = 1 and is not computed; a sentinel argument gives
// exp(-inf) = 0; equal arguments have equal weights, so ties need no care.
__device__ __forceinline__ real sm_cell(real rd, real ru, real rl, real cost, real gamma,
                                        real inv_gamma, real big, real* wd, real* wu) {
    real mn, md, mx;
    sort3(rd, ru, rl, &mn, &md, &mx);
    if (mn >= big) {
        *wd = 0;
        *wu = 0;
        return big;
    }
    real e_md = exp(-(md - mn) * inv_gamma);
    real e_mx = exp(-(mx - mn) * inv_gamma);
    real inv_s = (real)1 / ((real)1 + e_md + e_mx);
    *wd = (rd == mn ? (real)1 : (rd == md ? e_md : e_mx)) * inv_s;
    *wu = (ru == mn ? (real)1 : (ru == md ? e_md : e_mx)) * inv_s;
    return cost + mn + gamma * log(inv_s);
}

// Predecessor values of cell (i, j) on the rolling diagonals d1 (k-1) and d2
// (k-2), indexed by row; outside the matrix they are `big` (the start cell's
// diagonal predecessor is the virtual R[-1, -1] = 0).
__device__ __forceinline__ void preds(const real* d1, const real* d2, long long i, long long j,
                                      real big, real* rd, real* ru, real* rl) {
    *rd = (i > 0 && j > 0) ? d2[i - 1] : ((i == 0 && j == 0) ? (real)0 : big);
    *ru = i > 0 ? d1[i - 1] : big;
    *rl = j > 0 ? d1[i] : big;
}

// Sakoe-Chiba visits only the band: the rows just outside it on this
// diagonal are set to `big` so the next two diagonals read no stale value
// (the band's row range moves by at most one per diagonal).
__device__ __forceinline__ void band_edges(real* cur, long long lo, long long hi, long long n,
                                           int kind, real big) {
    if (kind == BAND_SAKOE_CHIBA && threadIdx.x == 0) {
        if (lo - 1 >= 0) cur[lo - 1] = big;
        if (hi + 1 < n) cur[hi + 1] = big;
    }
}

// Costs of a pair: squared Euclidean from the series (n, d) and (m, d) ...
struct SeriesCost {
    const real* x;
    const real* y;
    long long d;
    __device__ __forceinline__ real operator()(long long i, long long j) const {
        real c = 0;
        for (long long f = 0; f < d; ++f) {
            real diff = x[i * d + f] - y[j * d + f];
            c += diff * diff;
        }
        return c;
    }
};

// ... or read from a cost matrix with row stride M.
struct MatrixCost {
    const real* c;
    long long M;
    __device__ __forceinline__ real operator()(long long i, long long j) const {
        return c[i * M + j];
    }
};

// ... or GAK's negated log local kernel, c / (2 sigma^2) + log(2 - exp(-c / (2 sigma^2)))
// with c the squared Euclidean cost (>= 0): the log of the Global Alignment
// Kernel is the negated soft-DTW (gamma = 1) of these costs, so GAK needs no
// recurrence of its own.
struct GakCost {
    SeriesCost sq;
    real inv;  // 1 / (2 sigma^2)
    __device__ __forceinline__ real operator()(long long i, long long j) const {
        real u = sq(i, j) * inv;
        return u + log((real)2 - exp(-u));
    }
};

// The soft-DTW forward recurrence of one pair (every soft-DTW value on the GPU
// comes from here): the block walks the anti-diagonals with three rolling
// diagonals of N values in `diag`, threads striding over the cells of one.
// With `w` non-null the normalised weights of the diagonal and upper
// predecessors are stored at w[(i * M + j) * 2 + {0, 1}].  Returns R[n-1, m-1]
// (`big` if the band admits no path) in thread 0.
template <class Cost>
__device__ __forceinline__ real sweep(Cost cost, long long n, long long m, long long N,
                                      long long M, int kind, long long radius, double slope,
                                      double gamma_d, real big, real* diag, real* w) {
    const real gamma = (real)gamma_d, inv_gamma = (real)(1.0 / gamma_d);
    for (long long k = 0; k < n + m - 1; ++k) {
        real* cur = diag + (k % 3) * N;
        const real* d1 = diag + ((k + 2) % 3) * N;
        const real* d2 = diag + ((k + 1) % 3) * N;
        long long lo, hi;
        diag_range(k, n, m, kind, radius, &lo, &hi);
        band_edges(cur, lo, hi, n, kind, big);
        for (long long i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            long long j = k - i;
            real v = big;
            if (kind != BAND_ITAKURA || in_band(i, j, n, m, kind, radius, slope)) {
                real rd, ru, rl, wd, wu;
                preds(d1, d2, i, j, big, &rd, &ru, &rl);
                v = sm_cell(rd, ru, rl, cost(i, j), gamma, inv_gamma, big, &wd, &wu);
                if (w) {
                    long long cell = i * M + j;
                    w[2 * cell] = wd;
                    w[2 * cell + 1] = wu;
                }
            }
            cur[i] = v;
        }
        __syncthreads();
    }
    return diag[((n + m - 2) % 3) * N + (n - 1)];
}

// Soft-DTW values straight from the series (costs computed inline), pair p
// comparing X[ia[p]] with Y[ib[p]]; with `gak` the costs are GakCost's (inv_d =
// 1 / (2 sigma^2)) and the value is minus the log GAK.  Three rolling diagonals of N values live
// in shared memory when `scratch` is null, else in scratch[p * 3 * N ...].
extern "C" __global__ void soft_dtw_values(
    const real* __restrict__ X, const real* __restrict__ Y,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    const long long* __restrict__ ia, const long long* __restrict__ ib,
    long long n_pairs, long long N, long long M, long long d,
    int kind, long long radius, double slope, double gamma_d, double big_d,
    int gak, double inv_d, real* __restrict__ scratch, real* __restrict__ out)
{
    extern __shared__ unsigned char smem_raw[];
    long long p = blockIdx.x;
    if (p >= n_pairs) return;
    long long a = ia[p], b = ib[p];
    real* diag = scratch ? scratch + p * 3 * N : reinterpret_cast<real*>(smem_raw);
    const real big = (real)big_d;
    SeriesCost sq{X + a * N * d, Y + b * M * d, d};
    long long n = lx[a], m = ly[b];
    real v = gak ? sweep(GakCost{sq, (real)inv_d}, n, m, N, M, kind, radius, slope, gamma_d, big,
                         diag, nullptr)
                 : sweep(sq, n, m, N, M, kind, radius, slope, gamma_d, big, diag, nullptr);
    if (threadIdx.x == 0) out[p] = v >= big ? real_inf() : v;
}

// Forward pass for autograd on cost matrices C (B, N, M): values and the
// soft-min weights W (B, N, M, 2), which the launcher zero-fills (W null:
// values only).
extern "C" __global__ void soft_dtw_forward(
    const real* __restrict__ C, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    int kind, long long radius, double slope, double gamma_d, double big_d,
    real* __restrict__ scratch, real* __restrict__ W, real* __restrict__ out)
{
    extern __shared__ unsigned char smem_raw[];
    long long p = blockIdx.x;
    real* w = W ? W + p * N * M * 2 : nullptr;
    real* diag = scratch ? scratch + p * 3 * N : reinterpret_cast<real*>(smem_raw);
    const real big = (real)big_d;
    MatrixCost cost{C + p * N * M, M};
    real v = sweep(cost, lx[p], ly[p], N, M, kind, radius, slope, gamma_d, big, diag, w);
    if (threadIdx.x == 0) out[p] = v >= big ? real_inf() : v;
}

// Backward pass: expected alignments E (B, N, M), zero-filled by the
// launcher, from the weights W, walking the anti-diagonals in reverse.  Cells
// outside the band or the lengths keep E = 0 and W = 0, so they add nothing.
extern "C" __global__ void soft_dtw_backward(
    const real* __restrict__ W, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    int kind, long long radius, double slope, real* __restrict__ E)
{
    long long p = blockIdx.x;
    long long n = lx[p], m = ly[p];
    const real* w = W + p * N * M * 2;
    real* e = E + p * N * M;
    for (long long k = n + m - 2; k >= 0; --k) {
        long long lo, hi;
        diag_range(k, n, m, kind, radius, &lo, &hi);
        for (long long i = lo + threadIdx.x; i <= hi; i += blockDim.x) {
            long long j = k - i;
            if (kind == BAND_ITAKURA && !in_band(i, j, n, m, kind, radius, slope)) continue;
            real acc;
            if (i == n - 1 && j == m - 1) {
                acc = 1;
            } else {
                acc = 0;
                if (i + 1 < n) {
                    long long s = (i + 1) * M + j;
                    acc += e[s] * w[2 * s + 1];
                    if (j + 1 < m) acc += e[s + 1] * w[2 * (s + 1)];
                }
                if (j + 1 < m) {
                    long long s = i * M + j + 1;
                    real wl = (real)1 - w[2 * s] - w[2 * s + 1];
                    if (wl > (real)0) acc += e[s] * wl;
                }
            }
            e[i * M + j] = acc;
        }
        __syncthreads();
    }
}
