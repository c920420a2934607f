// DTW Barycenter Averaging on the GPU: one pass of DBA over a dataset (dba.py).
//
// One block per series: the accumulated costs of the series against its
// barycenter, anti-diagonal by anti-diagonal (the threads share a diagonal,
// costs computed on the fly from the two series) into a global scratch slice
// of rows x cols values per block; then thread 0 follows the optimal path
// from the end cell (tslearn's tie-break: diagonal, then up, then left) and
// adds the weighted frames into the barycenter frames they align with.  The
// sums are float64 atomics, so their rounding depends on the order in which
// blocks finish (a few ulp); the costs do not.
#include "_common.cuh"

extern "C" __global__ void dba_accumulate(
    const real* __restrict__ X, const long long* __restrict__ lx,
    const real* __restrict__ Z, const long long* __restrict__ assign,
    const double* __restrict__ weights, const long long* __restrict__ idx,
    long long q0, long long N, long long S, long long d,
    int kind, long long radius, double slope, int bary_first,
    real* __restrict__ scratch, double* __restrict__ sums, double* __restrict__ counts,
    real* __restrict__ costs)
{
    long long q = q0 + blockIdx.x;
    long long b = idx[q];
    long long k = assign[b];
    long long m_x = lx[b];
    long long n = bary_first ? S : m_x;   // rows
    long long m = bary_first ? m_x : S;   // columns
    long long rows = bary_first ? S : N;
    long long cols = bary_first ? N : S;
    const real* A = bary_first ? Z + k * S * d : X + b * N * d;
    const real* B = bary_first ? X + b * N * d : Z + k * S * d;
    real* r = scratch + (long long)blockIdx.x * rows * cols;
    const real INF = real_inf();
    for (long long k2 = 0; k2 < n + m - 1; ++k2) {
        for (long long i = diag_lo(k2, m) + threadIdx.x; i <= diag_hi(k2, n); i += blockDim.x) {
            long long j = k2 - i;
            if (!in_band(i, j, n, m, kind, radius, slope)) {
                r[i * cols + j] = INF;
                continue;
            }
            real best = matrix_predecessor(r, cols, i, j, 0);
            real c = 0;
            for (long long f = 0; f < d; ++f) {
                real diff = A[i * d + f] - B[j * d + f];
                c += diff * diff;
            }
            r[i * cols + j] = (best < INF) ? c + best : INF;
        }
        __syncthreads();
    }
    if (threadIdx.x != 0) return;
    real cost = r[(n - 1) * cols + (m - 1)];
    costs[q] = cost;
    double w = weights[b];
    if (w == 0.0 || !(cost < INF)) return;
    long long i = n - 1, j = m - 1;
    while (true) {
        long long zi = bary_first ? i : j;
        long long xj = bary_first ? j : i;
        atomicAdd(&counts[k * S + zi], w);
        for (long long f = 0; f < d; ++f)
            atomicAdd(&sums[(k * S + zi) * d + f], w * (double)X[(b * N + xj) * d + f]);
        if (i == 0 && j == 0) break;
        step_back(r, cols, 1, i, j);
    }
}
