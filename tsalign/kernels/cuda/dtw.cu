// Exact DTW on the GPU: anti-diagonal wavefront, one block per pair.
//
// Threads of a block stride over the cells of one anti-diagonal, with a
// barrier between diagonals, so there is no limit on N or M.  Out-of-band and
// out-of-length cells read as +inf.
#include "_common.cuh"

// Accumulated squared cost at (n-1, m-1), cost computed inline from the series.
// Three rolling anti-diagonals indexed by the row i live in shared memory when
// `scratch` is null, else in scratch[pair * 3 * N ...] (global memory).
//
// Pair p compares X[ia[p]] with Y[ib[p]].
extern "C" __global__ void dtw_values(
    const real* __restrict__ X, const real* __restrict__ Y,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    const long long* __restrict__ ia, const long long* __restrict__ ib,
    long long n_pairs, long long N, long long M, long long d,
    int kind, long long radius, double slope, int combine,
    real* __restrict__ scratch, real* __restrict__ out)
{
    extern __shared__ unsigned char smem_raw[];
    long long p = blockIdx.x;
    if (p >= n_pairs) return;
    long long a = ia[p], b = ib[p];
    long long n = lx[a], m = ly[b];
    const real* x = X + a * N * d;
    const real* y = Y + b * M * d;
    real* diag = scratch ? scratch + p * 3 * N : reinterpret_cast<real*>(smem_raw);

    for (long long k = 0; k < n + m - 1; ++k) {
        real* cur = diag + (k % 3) * N;
        const real* d1 = diag + ((k + 2) % 3) * N;   // diagonal k-1
        const real* d2 = diag + ((k + 1) % 3) * N;   // diagonal k-2
        for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
            cur[i] = wavefront_cell(x, y, i, k - i, n, m, d, kind, radius, slope, d1, d2, combine);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[p] = diag[((n + m - 2) % 3) * N + (n - 1)];
    }
}

// Full accumulated-cost matrices R (B, N, M) from cost matrices C (B, N, M).
// R must be pre-filled with +inf by the launcher.  With `subsequence` a path
// may start anywhere on the first row.
extern "C" __global__ void dtw_acc(
    const real* __restrict__ C, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    int kind, long long radius, double slope, int subsequence, int combine,
    real* __restrict__ R)
{
    long long bidx = blockIdx.x;
    long long n = lx[bidx], m = ly[bidx];
    const real* c = C + bidx * N * M;
    real* r = R + bidx * N * M;
    const real INF = real_inf();
    for (long long k = 0; k < n + m - 1; ++k) {
        for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
            long long j = k - i;
            if (!in_band(i, j, n, m, kind, radius, slope)) continue;
            real best = matrix_predecessor(r, M, i, j, subsequence);
            r[i * M + j] = (best < INF) ? combine_cost(c[i * M + j], best, combine) : INF;
        }
        __syncthreads();
    }
}

// Backtrack one path per pair (one thread per pair), tslearn's tie-break:
// diagonal, then up, then left.  Paths (B, N+M-1, 2) run start -> end.
extern "C" __global__ void dtw_backtrack(
    const real* __restrict__ R, const long long* __restrict__ lx,
    const long long* __restrict__ end_j, long long B, long long N, long long M,
    int subsequence, long long* __restrict__ paths, long long* __restrict__ plen)
{
    long long bidx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (bidx >= B) return;
    const real* r = R + bidx * N * M;
    long long* path = paths + bidx * (N + M - 1) * 2;
    long long i = lx[bidx] - 1, j = end_j[bidx];
    long long k = 0;
    path[0] = i;
    path[1] = j;
    k = 1;
    while (i > 0 || (j > 0 && !subsequence)) {
        step_back(r, M, 1, i, j);
        path[2 * k] = i;
        path[2 * k + 1] = j;
        k += 1;
    }
    reverse_path(path, k);
    plen[bidx] = k;
}
