// Exact DTW k-nearest neighbours on the GPU (same results as brute force).
//
// 1. knn_envelopes: the envelope of every reference over the columns each row of
//    an (n0, m) band allows (one thread per reference row).
// 2. knn_bounds: one thread per (query, reference) pair: LB_Kim (first and last
//    cells) and, for queries of length n0, LB_Keogh against the reference's
//    envelope; the launcher sorts each query's bounds.
// 3. knn_search: one block per query, visiting its candidates in bound order and
//    stopping at the first bound above the k-th best so far; the block computes
//    each DTW by anti-diagonals (cell arithmetic of dtw.cu's dtw_values, so values
//    are bit-identical to the GPU brute force) and abandons it when two
//    consecutive anti-diagonals lie above the k-th best (every path crosses one of
//    any two consecutive anti-diagonals, and costs only grow along a path).
#include "_common.cuh"

__device__ __forceinline__ double sqd(double a) { return a * a; }

extern "C" __global__ void knn_envelopes(
    const real* __restrict__ Y, const long long* __restrict__ ly,
    long long nr, long long n0, long long M, long long d,
    int kind, long long radius, double slope,
    real* __restrict__ L, real* __restrict__ U)
{
    long long total = nr * n0;
    for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        long long c = p / n0, i = p % n0;
        long long m = ly[c];
        const real* y = Y + c * M * d;
        for (long long f = 0; f < d; ++f) {
            real lo = real_inf(), hi = -real_inf();
            for (long long j = 0; j < m; ++j) {
                if (!in_band(i, j, n0, m, kind, radius, slope)) continue;
                real v = y[j * d + f];
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
            L[(c * n0 + i) * d + f] = lo;
            U[(c * n0 + i) * d + f] = hi;
        }
    }
}

extern "C" __global__ void knn_bounds(
    const real* __restrict__ X, const real* __restrict__ Y,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    const real* __restrict__ L, const real* __restrict__ U,
    long long q0, long long nqc, long long nr, long long N, long long M, long long d,
    long long n0, double* __restrict__ bounds, int* __restrict__ used_keogh)
{
    long long total = nqc * nr;
    for (long long p = (long long)blockIdx.x * blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        long long qi = p / nr, c = p % nr;
        long long q = q0 + qi;
        long long n = lx[q], m = ly[c];
        const real* x = X + q * N * d;
        const real* y = Y + c * M * d;
        double kim = 0.0;
        for (long long f = 0; f < d; ++f) kim += sqd((double)x[f] - (double)y[f]);
        if (n > 1 || m > 1) {
            for (long long f = 0; f < d; ++f)
                kim += sqd((double)x[(n - 1) * d + f] - (double)y[(m - 1) * d + f]);
        }
        double ke = 0.0;
        if (n == n0) {
            const real* l = L + c * n0 * d;
            const real* u = U + c * n0 * d;
            for (long long i = 0; i < n * d; ++i) {
                double v = (double)x[i];
                if (v > (double)u[i]) ke += sqd(v - (double)u[i]);
                else if (v < (double)l[i]) ke += sqd((double)l[i] - v);
            }
        }
        bounds[p] = kim > ke ? kim : ke;
        used_keogh[qi] = n == n0 ? 1 : 0;
    }
}

// Block-wide minimum of v (blockDim.x a power of two <= MAX_THREADS).
__device__ real block_min(real v, real* red) {
    red[threadIdx.x] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s && red[threadIdx.x + s] < red[threadIdx.x])
            red[threadIdx.x] = red[threadIdx.x + s];
        __syncthreads();
    }
    real out = red[0];
    __syncthreads();
    return out;
}

extern "C" __global__ void knn_search(
    const real* __restrict__ X, const real* __restrict__ Y,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    const long long* __restrict__ order, const double* __restrict__ bounds,
    long long q0, long long nqc, long long nr, long long N, long long M, long long d,
    int kind, long long radius, double slope, long long k, double margin,
    real* __restrict__ scratch, real* __restrict__ out_d, long long* __restrict__ out_i,
    long long* __restrict__ stats)
{
    __shared__ real red[MAX_THREADS];
    __shared__ real ub_s;
    __shared__ double thr_s;
    __shared__ long long count_s;
    long long qi = blockIdx.x;
    if (qi >= nqc) return;
    long long q = q0 + qi;
    long long n = lx[q];
    const real* x = X + q * N * d;
    const real INF = real_inf();
    real* diag = scratch + qi * 3 * N;
    real* od = out_d + q * k;
    long long* oi = out_i + q * k;
    long long* st = stats + q * 6;
    if (threadIdx.x == 0) {
        ub_s = INF;
        thr_s = 1.0 / 0.0;
        count_s = 0;
        for (long long t = 0; t < k; ++t) { od[t] = INF; oi[t] = -1; }
    }
    __syncthreads();
    for (long long t = 0; t < nr; ++t) {
        long long c = order[qi * nr + t];
        double b = bounds[qi * nr + c];
        if (b > thr_s) {
            if (threadIdx.x == 0) st[1] += nr - t;  // rejected by the ordering bound
            break;
        }
        long long m = ly[c];
        const real* y = Y + c * M * d;
        real ub = ub_s;
        real prev_min = INF;
        int abandoned = 0;
        for (long long kd = 0; kd < n + m - 1; ++kd) {
            real* cur = diag + (kd % 3) * N;
            const real* d1 = diag + ((kd + 2) % 3) * N;
            const real* d2 = diag + ((kd + 1) % 3) * N;
            long long i_lo = kd - (m - 1) > 0 ? kd - (m - 1) : 0;
            long long i_hi = kd < n - 1 ? kd : n - 1;
            real local = INF;
            for (long long i = i_lo + threadIdx.x; i <= i_hi; i += blockDim.x) {
                long long j = kd - i;
                real v = wavefront_cell(x, y, i, j, n, m, d, kind, radius, slope, d1, d2, COMBINE_SUM);
                cur[i] = v;
                if (v < local) local = v;
            }
            __syncthreads();
            real mn = block_min(local, red);
            if (mn > ub && prev_min > ub) {
                abandoned = 1;
                break;
            }
            prev_min = mn;
        }
        if (threadIdx.x == 0) {
            if (abandoned) {
                st[4] += 1;
            } else {
                real v = diag[((n + m - 2) % 3) * N + (n - 1)];
                st[5] += 1;
                long long cnt = count_s;
                bool enter = cnt < k || v < od[k - 1] || (v == od[k - 1] && c < oi[k - 1]);
                if (enter && v < INF) {
                    long long p = cnt < k ? cnt : k - 1;
                    if (cnt < k) cnt += 1;
                    while (p > 0 && (od[p - 1] > v || (od[p - 1] == v && oi[p - 1] > c))) {
                        od[p] = od[p - 1];
                        oi[p] = oi[p - 1];
                        p -= 1;
                    }
                    od[p] = v;
                    oi[p] = c;
                    count_s = cnt;
                    if (cnt == k) {
                        ub_s = od[k - 1];
                        thr_s = (double)od[k - 1] * (1.0 + margin) + 1e-300;
                    }
                }
            }
        }
        __syncthreads();
    }
}
