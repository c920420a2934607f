// SSNT transducer lattice on the GPU (same layout and recurrence as kernels/cpu/ssnt.py).
//
// Token rows of every sequence are rows of flat arrays: log_probs (R, S, V),
// emit (R, S), targets (R,).  Sequence b owns rows row_off[b] .. row_off[b] +
// tgt_len[b] - 1 and frames 0 .. src_len[b] - 1; its lattice rows u = 0..J are
// rows row_off[b] + b + u of alpha / beta (R + B, S).
//
// alpha and beta: one block per sequence walks the anti-diagonals u + t = d of
// the (J + 1) x S_b lattice, threads striding over the cells of a diagonal,
// with a barrier between diagonals (warp-transducer's scheme), so neither J
// nor S is limited by the block size.  The gradients are then a plain
// element-wise kernel over every (row, frame) cell.
#include "_common.cuh"

// Infinity and NaN from their bit patterns: real_inf() divides at run time
// (in double, even in the float kernels), and NVRTC has no INFINITY / NAN.
__device__ __forceinline__ float r_inf_of(float) { return __int_as_float(0x7f800000); }
__device__ __forceinline__ double r_inf_of(double) {
    return __longlong_as_double(0x7ff0000000000000LL);
}
__device__ __forceinline__ float r_nan_of(float) { return __int_as_float(0x7fc00000); }
__device__ __forceinline__ double r_nan_of(double) {
    return __longlong_as_double(0x7ff8000000000000LL);
}
#define R_INF r_inf_of((real)0)
#define R_NAN r_nan_of((real)0)

// Explicit float/double overloads, so float kernels never promote to double.
__device__ __forceinline__ float r_exp(float x) { return expf(x); }
__device__ __forceinline__ double r_exp(double x) { return exp(x); }
__device__ __forceinline__ float r_log(float x) { return logf(x); }
__device__ __forceinline__ double r_log(double x) { return log(x); }
__device__ __forceinline__ float r_log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double r_log1p(double x) { return log1p(x); }
__device__ __forceinline__ float r_expm1(float x) { return expm1f(x); }
__device__ __forceinline__ double r_expm1(double x) { return expm1(x); }
__device__ __forceinline__ float r_abs(float x) { return fabsf(x); }
__device__ __forceinline__ double r_abs(double x) { return fabs(x); }

__device__ __forceinline__ real log_add(real a, real b) {
    real m = a > b ? a : b;
    if (m == -R_INF) return m;
    return m + r_log1p(r_exp(-r_abs(a - b)));
}

// log(1 - exp(x)) for x <= 0: expm1 is exact near 0, log1p far from it.
__device__ __forceinline__ real log1mexp(real x) {
    if (x > (real)-0.6931471805599453) return r_log(-r_expm1(x));
    return r_log1p(-r_exp(x));
}

__device__ __forceinline__ real log_sigmoid(real z) {
    if (z >= (real)0) return -r_log1p(r_exp(-z));
    return z - r_log1p(r_exp(z));
}

// log e of one cell.
__device__ __forceinline__ real log_emit(real x, int mode) {
    return mode == SSNT_MODE_LOGITS ? log_sigmoid(x) : x;
}

// log(1 - e) of one cell.
__device__ __forceinline__ real log_stay(real x, int mode) {
    return mode == SSNT_MODE_LOGITS ? log_sigmoid(-x) : log1mexp(x);
}

extern "C" __global__ void ssnt_forward(
    const real* __restrict__ log_probs, const long long* __restrict__ targets,
    const real* __restrict__ emit, const long long* __restrict__ src_len,
    const long long* __restrict__ tgt_len, const long long* __restrict__ row_off,
    long long B, long long S, long long V, int mode,
    real* __restrict__ alpha, real* __restrict__ total, int* __restrict__ flags)
{
    long long b = blockIdx.x;
    if (b >= B) return;
    const long long Sb = src_len[b], J = tgt_len[b], r0 = row_off[b];
    real* al = alpha + (r0 + b) * S;
    int flag = 0;
    for (long long d = 0; d < J + Sb; ++d) {
        long long u_lo = d - (Sb - 1) > 0 ? d - (Sb - 1) : 0;
        long long u_hi = d < J ? d : J;
        for (long long u = u_lo + threadIdx.x; u <= u_hi; u += blockDim.x) {
            long long t = d - u;
            real v;
            if (u == 0) {
                v = (t == 0) ? (real)0 : al[t - 1] + log_stay(emit[r0 * S + t - 1], mode);
            } else {
                long long row = r0 + u - 1;
                long long tok = targets[row];
                real x = emit[row * S + t];
                if (mode == SSNT_MODE_LOGITS) {
                    if (x != x) flag |= SSNT_FLAG_EMIT;
                } else if (!(x <= (real)0)) {
                    flag |= SSNT_FLAG_EMIT;
                }
                real p;
                if (tok < 0 || tok >= V) {
                    flag |= SSNT_FLAG_TARGET;
                    p = R_NAN;  // and no out-of-bounds read
                } else {
                    p = log_probs[(row * S + t) * V + tok];
                    if (!(p < R_INF)) flag |= SSNT_FLAG_LOG_PROBS;
                }
                v = al[(u - 1) * S + t] + log_emit(x, mode) + p;
                if (u < J && t > 0) {
                    v = log_add(v, al[u * S + t - 1] + log_stay(emit[(row + 1) * S + t - 1], mode));
                }
            }
            al[u * S + t] = v;
        }
        __syncthreads();
    }
    if (flag) atomicOr(flags + b, flag);
    if (threadIdx.x == 0) total[b] = al[J * S + Sb - 1];
}

// beta[u, t]: log-sum of the completions from state (u, t) to (J, S_b - 1).
extern "C" __global__ void ssnt_beta(
    const real* __restrict__ log_probs, const long long* __restrict__ targets,
    const real* __restrict__ emit, const long long* __restrict__ src_len,
    const long long* __restrict__ tgt_len, const long long* __restrict__ row_off,
    long long B, long long S, long long V, int mode, real* __restrict__ beta)
{
    long long b = blockIdx.x;
    if (b >= B) return;
    const long long Sb = src_len[b], J = tgt_len[b], r0 = row_off[b];
    real* be = beta + (r0 + b) * S;
    const real NEG_INF = -R_INF;
    for (long long d = J + Sb - 1; d >= 0; --d) {
        long long u_lo = d - (Sb - 1) > 0 ? d - (Sb - 1) : 0;
        long long u_hi = d < J ? d : J;
        for (long long u = u_lo + threadIdx.x; u <= u_hi; u += blockDim.x) {
            long long t = d - u;
            real v;
            if (u == J) {
                v = (t == Sb - 1) ? (real)0 : NEG_INF;
            } else {
                long long rn = r0 + u;  // token u + 1
                real x = emit[rn * S + t];
                v = log_emit(x, mode) + log_probs[(rn * S + t) * V + targets[rn]]
                    + be[(u + 1) * S + t];
                if (t < Sb - 1) v = log_add(v, log_stay(x, mode) + be[u * S + t + 1]);
            }
            be[u * S + t] = v;
        }
        __syncthreads();
    }
}

// Gradients of loss = -total, scaled by grad_out, one thread per (row, frame).
// grad_log_probs / grad_emit are zero-filled by the launcher (null: skipped);
// row_seq[row] is the sequence of a token row, -1 for padding rows.
extern "C" __global__ void ssnt_grad(
    const real* __restrict__ log_probs, const long long* __restrict__ targets,
    const real* __restrict__ emit, const long long* __restrict__ src_len,
    const long long* __restrict__ tgt_len, const long long* __restrict__ row_off,
    const long long* __restrict__ row_seq, long long R, long long S, long long V, int mode,
    const real* __restrict__ alpha, const real* __restrict__ beta,
    const real* __restrict__ total, const real* __restrict__ grad_out,
    real* __restrict__ grad_log_probs, real* __restrict__ grad_emit)
{
    const long long n = R * S;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        long long row = i / S, t = i - row * S;
        long long b = row_seq[row];
        if (b < 0 || t >= src_len[b]) continue;
        real Z = total[b];
        // an impossible sequence (loss +inf) gets zero gradients, not NaN
        if (!(Z > -R_INF && Z < R_INF)) continue;
        const long long Sb = src_len[b], r0 = row_off[b];
        const long long u = row - r0 + 1;
        const real* al = alpha + (r0 + b) * S;
        const real* be = beta + (r0 + b) * S;
        real g = grad_out[b];
        real x = emit[row * S + t];
        real le = log_emit(x, mode);
        long long tok = targets[row];
        real a_prev = al[(u - 1) * S + t];
        real log_e = a_prev + le + log_probs[(row * S + t) * V + tok] + be[u * S + t] - Z;
        real occ = r_exp(log_e);
        if (grad_log_probs) grad_log_probs[(row * S + t) * V + tok] = -g * occ;
        if (grad_emit) {
            // shift edge (u-1, t) -> (u-1, t+1) weighted by 1 - e[u, t]; the
            // e / (1 - e) factor is folded into the exponent so that e = 1
            // (log(1 - e) = -inf) still gives a finite gradient
            real log_a = (t < Sb - 1) ? a_prev + be[(u - 1) * S + t + 1] - Z : -R_INF;
            real d;
            if (mode == SSNT_MODE_LOGITS) {
                real ls = log_sigmoid(-x);
                d = r_exp(log_e + ls) - r_exp(log_a + ls + le);
            } else {
                d = occ - r_exp(log_a + x);
            }
            grad_emit[row * S + t] = -g * d;
        }
    }
}
