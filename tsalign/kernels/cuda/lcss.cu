// Longest Common Subsequence on the GPU (same layout as kernels/cpu/lcss.py).
//
// From frame-distance matrices D (B, N, M) and a threshold eps, the match
// counts A (B, N+1, M+1), zero-filled by the launcher:
//   A[i+1][j+1] = A[i][j] + 1            if D[i][j] <= eps
//               = max(A[i][j+1], A[i+1][j]) otherwise,
// only for cells inside the pair's band (the others keep 0, tslearn's rule).
#include "_common.cuh"

// One block per pair, threads striding over the cells of one anti-diagonal
// with a barrier between diagonals (cell (i, j) reads diagonals k-1 and k-2).
extern "C" __global__ void lcss_acc(
    const real* __restrict__ D, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M,
    int kind, long long radius, double slope, double eps_d,
    long long* __restrict__ A)
{
    long long b = blockIdx.x;
    long long n = lx[b], m = ly[b];
    const real* d = D + b * N * M;
    long long* a = A + b * (N + 1) * (M + 1);
    const long long W = M + 1;
    const real eps = (real)eps_d;
    for (long long k = 0; k < n + m - 1; ++k) {
        for (long long i = diag_lo(k, m) + threadIdx.x; i <= diag_hi(k, n); i += blockDim.x) {
            long long j = k - i;
            if (!in_band(i, j, n, m, kind, radius, slope)) continue;
            long long v;
            if (d[i * M + j] <= eps) {
                v = a[i * W + j] + 1;
            } else {
                long long up = a[i * W + j + 1], left = a[(i + 1) * W + j];
                v = up > left ? up : left;
            }
            a[(i + 1) * W + j + 1] = v;
        }
        __syncthreads();
    }
}

// The matched pairs of each pair (one thread per pair), backtracked from the
// end as on the CPU: a match inside the band moves diagonally, otherwise up if
// that keeps more matches than going left.  paths (B, P, 2), start -> end.
extern "C" __global__ void lcss_backtrack(
    const real* __restrict__ D, const long long* __restrict__ A,
    const long long* __restrict__ lx, const long long* __restrict__ ly,
    long long B, long long N, long long M, int kind, long long radius, double slope,
    double eps_d, long long P, long long* __restrict__ paths, long long* __restrict__ plen)
{
    long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    long long n = lx[b], m = ly[b];
    const real* d = D + b * N * M;
    const long long* a = A + b * (N + 1) * (M + 1);
    const long long W = M + 1;
    const real eps = (real)eps_d;
    long long* path = paths + b * P * 2;
    long long i = n, j = m, k = 0;
    while (i > 0 && j > 0) {
        if (in_band(i - 1, j - 1, n, m, kind, radius, slope) && d[(i - 1) * M + j - 1] <= eps) {
            path[2 * k] = i - 1;
            path[2 * k + 1] = j - 1;
            k += 1;
            i -= 1;
            j -= 1;
        } else if (a[(i - 1) * W + j] > a[i * W + j - 1]) {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    reverse_path(path, k);
    plen[b] = k;
}
