// DTW under a limited warping path length on the GPU (layout of kernels/cpu/ldtw.py).
//
// R (B, N, M, L), filled with +inf by the launcher: R[i][j][s] is the cheapest
// squared cost of a path from (0, 0) to (i, j) in s steps.  Layer s depends on
// layer s - 1 only, so one block per pair walks the layers with a barrier
// between them, its threads striding over the cells (i, j) a layer can hold
// (max(i, j) <= s <= i + j).
#include "_common.cuh"

extern "C" __global__ void ldtw_acc(
    const real* __restrict__ C, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long N, long long M, long long L,
    real* __restrict__ R)
{
    long long b = blockIdx.x;
    long long n = lx[b], m = ly[b];
    const real* c = C + b * N * M;
    real* r = R + b * N * M * L;
    const real INF = real_inf();
    if (threadIdx.x == 0) r[0] = c[0];
    __syncthreads();
    for (long long s = 1; s < L; ++s) {
        for (long long cell = threadIdx.x; cell < n * m; cell += blockDim.x) {
            long long i = cell / m, j = cell % m;
            long long hi_ij = i > j ? i : j;
            if (hi_ij > s || i + j < s) continue;
            real best = INF;
            if (i > 0 && j > 0) {
                real v = r[((i - 1) * M + j - 1) * L + s - 1];
                if (v < best) best = v;
            }
            if (i > 0) {
                real v = r[((i - 1) * M + j) * L + s - 1];
                if (v < best) best = v;
            }
            if (j > 0) {
                real v = r[(i * M + j - 1) * L + s - 1];
                if (v < best) best = v;
            }
            r[(i * M + j) * L + s] = c[i * M + j] + best;
        }
        __syncthreads();
    }
}

// The cheapest end state of each pair and its step count (one thread per pair;
// the first smallest s on ties, as on the CPU; -1 if none is reachable).
extern "C" __global__ void ldtw_end(
    const real* __restrict__ R, const long long* __restrict__ lx,
    const long long* __restrict__ ly, long long B, long long N, long long M, long long L,
    real* __restrict__ values, long long* __restrict__ steps)
{
    long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    const real* r = R + ((b * N + lx[b] - 1) * M + ly[b] - 1) * L;
    real best = real_inf();
    long long arg = -1;
    for (long long s = 0; s < L; ++s) {
        if (r[s] < best) {
            best = r[s];
            arg = s;
        }
    }
    values[b] = best;
    steps[b] = arg;
}

// Backtrack one path per pair from (n-1, m-1) at steps[b] (ties: diagonal, up,
// left); paths (B, L, 2) run start -> end, plen = steps + 1.
extern "C" __global__ void ldtw_backtrack(
    const real* __restrict__ R, const long long* __restrict__ lx,
    const long long* __restrict__ ly, const long long* __restrict__ steps,
    long long B, long long N, long long M, long long L,
    long long* __restrict__ paths, long long* __restrict__ plen)
{
    long long b = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (b >= B) return;
    const real* r = R + b * N * M * L;
    long long* path = paths + b * L * 2;
    long long i = lx[b] - 1, j = ly[b] - 1, s = steps[b];
    plen[b] = s + 1;
    if (s < 0) return;  // no reachable end state: an empty path
    path[2 * s] = i;
    path[2 * s + 1] = j;
    while (s > 0) {
        step_back(r + s - 1, M * L, L, i, j);  // layer s - 1 of the (i, j, s) array
        s -= 1;
        path[2 * s] = i;
        path[2 * s + 1] = j;
    }
}
