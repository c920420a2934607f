// DILATE on the GPU: the left soft-min weights and the temporal term on top
// of the soft-DTW family's forward and backward (gamma > 0), hard DTW with
// path-count weights (gamma = 0), and the Hessian-vector product of soft-DTW.
//
// One block per pair walks the anti-diagonals of the pair's n x m block with
// a barrier between diagonals; threads stride over the cells of a diagonal,
// so there is no limit on N or M.  Full (B, N, M) buffers live in global
// memory (R and Rd are scratch), written only inside each pair's block; the
// launcher zero-fills W, E and G so that the padding reads as zero.
//
// Same semantics as kernels/cpu/dilate.py (see there for the formulas).
#include "_common.cuh"

// Threads per block are a power of two <= MAX_THREADS (threads_for in _module.py).
// Weights and alignment entries below TINY (kernels/_contract.py) are zero.

__device__ __forceinline__ double block_sum(double v, double* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) red[threadIdx.x] += red[threadIdx.x + s];
        __syncthreads();
    }
    return red[0];
}

// gamma > 0: the soft-DTW family's forward and backward kernels give the
// values, the weights W2 (B, N, M, 2) of the diagonal and upper predecessors
// and E; this adds the left weight and the temporal term, flushing weights and
// alignment entries below TINY to 0 (E in place), as the CPU does.
extern "C" __global__ void dilate_weights3(
    const real* __restrict__ W2, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    real* __restrict__ E, real* __restrict__ W, real* __restrict__ temporal)
{
    __shared__ double red[MAX_THREADS];
    const long long b = blockIdx.x;
    const long long n = lx[b], m = ly[b];
    const real* w2 = W2 + b * N * M * 2;
    real* w = W + b * N * M * 3;
    real* e = E + b * N * M;
    const real tiny = (real)TINY;
    double acc = 0.0;
    for (long long q = threadIdx.x; q < n * m; q += blockDim.x) {
        long long i = q / m, j = q % m;
        long long c = i * M + j;
        real a = w2[2 * c], u = w2[2 * c + 1];
        if (a < tiny) a = (real)0;
        if (u < tiny) u = (real)0;
        real left = (real)1 - a - u;
        if (left < tiny) left = (real)0;
        w[3 * c] = a;
        w[3 * c + 1] = u;
        w[3 * c + 2] = left;
        real ev = e[c];
        if (ev < tiny) {
            e[c] = (real)0;
        } else {
            double t = (double)(i - j);
            acc += (double)ev * (t * t);
        }
    }
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) temporal[b] = (real)(total / ((double)n * (double)m));
}

// gamma = 0 (hard DTW): the minimum of each cell, exact ties weighted by the
// number of optimal paths reaching each predecessor (log-counts in LC, the
// gamma -> 0 limit of the soft weights), then the expected alignment E and
// the temporal term.  R and LC are (B, N, M) scratch.
extern "C" __global__ void dilate_hard_forward(
    const real* __restrict__ D, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    real* __restrict__ R, double* __restrict__ LC, real* __restrict__ W,
    real* __restrict__ E, real* __restrict__ shape, real* __restrict__ temporal)
{
    __shared__ double red[MAX_THREADS];
    const long long b = blockIdx.x;
    const long long n = lx[b], m = ly[b];
    const real* d = D + b * N * M;
    real* r = R + b * N * M;
    real* w = W + b * N * M * 3;
    real* e = E + b * N * M;
    double* lc = LC + b * N * M;
    const real INF = real_inf();
    const double NEG_INF = -(1.0 / 0.0);

    for (long long k = 0; k < n + m - 1; ++k) {
        for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
            long long j = k - i;
            real a0 = (i > 0 && j > 0) ? r[(i - 1) * M + j - 1] : ((i == 0 && j == 0) ? (real)0 : INF);
            real a1 = i > 0 ? r[(i - 1) * M + j] : INF;
            real a2 = j > 0 ? r[i * M + j - 1] : INF;
            real rmin = a0;
            if (a1 < rmin) rmin = a1;
            if (a2 < rmin) rmin = a2;
            double c0 = (i > 0 && j > 0) ? lc[(i - 1) * M + j - 1] : ((i == 0 && j == 0) ? 0.0 : NEG_INF);
            double c1 = i > 0 ? lc[(i - 1) * M + j] : NEG_INF;
            double c2 = j > 0 ? lc[i * M + j - 1] : NEG_INF;
            double l0 = a0 == rmin ? c0 : NEG_INF;
            double l1 = a1 == rmin ? c1 : NEG_INF;
            double l2 = a2 == rmin ? c2 : NEG_INF;
            double lmax = fmax(l0, fmax(l1, l2));
            double e0 = exp(l0 - lmax), e1 = exp(l1 - lmax), e2 = exp(l2 - lmax);
            double s = e0 + e1 + e2;
            lc[i * M + j] = lmax + log(s);
            long long c = i * M + j;
            r[c] = d[c] + rmin;
            w[3 * c] = (real)(e0 / s);
            w[3 * c + 1] = (real)(e1 / s);
            w[3 * c + 2] = (real)(e2 / s);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) shape[b] = r[(n - 1) * M + (m - 1)];

    double acc = 0.0;
    for (long long k = n + m - 2; k >= 0; --k) {
        for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
            long long j = k - i;
            real ev;
            if (i == n - 1 && j == m - 1) {
                ev = (real)1;
            } else {
                ev = (real)0;
                if (i + 1 < n) {
                    long long s = (i + 1) * M + j;
                    ev += e[s] * w[3 * s + 1];
                    if (j + 1 < m) {
                        s = (i + 1) * M + j + 1;
                        ev += e[s] * w[3 * s];
                    }
                }
                if (j + 1 < m) {
                    long long s = i * M + j + 1;
                    ev += e[s] * w[3 * s + 2];
                }
                if (ev < (real)TINY) ev = (real)0;
            }
            e[i * M + j] = ev;
            double t = (double)(i - j);
            acc += (double)ev * t * t;
        }
        __syncthreads();
    }
    double total = block_sum(acc, red);
    if (threadIdx.x == 0) temporal[b] = (real)(total / ((double)n * (double)m));
}

// G = gs[b] * E + H @ Z with Z[i, j] = gt[b] (i - j)^2 / (n m); G zero-filled.
extern "C" __global__ void dilate_backward(
    const real* __restrict__ W, const real* __restrict__ E,
    const real* __restrict__ gs, const real* __restrict__ gt,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    long long N, long long M, double gamma_d,
    real* __restrict__ Rd, real* __restrict__ G)
{
    const long long b = blockIdx.x;
    const long long n = lx[b], m = ly[b];
    const real* w = W + b * N * M * 3;
    const real* e = E + b * N * M;
    real* rd = Rd + b * N * M;
    real* g = G + b * N * M;
    const real gamma = (real)gamma_d;
    const real gtb = gt[b];

    // the condition is uniform over the block, so the barriers inside are safe
    if (gamma > (real)0 && gtb != (real)0) {
        const real scale = gtb / (real)((double)n * (double)m);
        const real inv = (real)1 / gamma;
        for (long long k = 0; k < n + m - 1; ++k) {
            for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
                long long j = k - i;
                long long c = i * M + j;
                real t = (real)(i - j);
                real v = scale * t * t;
                if (i > 0) {
                    v += w[3 * c + 1] * rd[c - M];
                    if (j > 0) v += w[3 * c] * rd[c - M - 1];
                }
                if (j > 0) v += w[3 * c + 2] * rd[c - 1];
                rd[c] = v;
            }
            __syncthreads();
        }
        // d w[s, k] = -(w / gamma) (Rd[i, j] - (Rd[s] - Z[s])) for the
        // successor s of (i, j) through weight k
        for (long long k = n + m - 2; k >= 0; --k) {
            for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
                long long j = k - i;
                long long c = i * M + j;
                real acc = (real)0;
                if (!(i == n - 1 && j == m - 1)) {
                    real rij = rd[c];
                    if (i + 1 < n) {
                        long long s = c + M;
                        real t = (real)(i + 1 - j);
                        real base = rd[s] - scale * t * t;
                        acc += w[3 * s + 1] * (g[s] - inv * e[s] * (rij - base));
                        if (j + 1 < m) {
                            s = c + M + 1;
                            t = (real)(i - j);
                            base = rd[s] - scale * t * t;
                            acc += w[3 * s] * (g[s] - inv * e[s] * (rij - base));
                        }
                    }
                    if (j + 1 < m) {
                        long long s = c + 1;
                        real t = (real)(i - j - 1);
                        real base = rd[s] - scale * t * t;
                        acc += w[3 * s + 2] * (g[s] - inv * e[s] * (rij - base));
                    }
                }
                g[c] = acc;
            }
            __syncthreads();
        }
    }
    const real gsb = gs[b];
    for (long long q = threadIdx.x; q < n * m; q += blockDim.x) {
        long long c = (q / m) * M + (q % m);
        g[c] += gsb * e[c];
    }
}
