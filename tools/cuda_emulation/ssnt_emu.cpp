// Runs kernels/cuda/ssnt.cu on the CPU, for machines without a GPU.
//
// Each block is emulated with blockDim.x real threads and a std::barrier for
// __syncthreads(), so the wavefront's thread striding and its barriers are
// exercised as written; blocks run one after the other.  Built and driven by
// check_ssnt.py (g++ >= 11, -std=c++20).  This checks the kernels' logic and
// indexing, not CUDA specifics (memory model, launch limits, CuPy launchers).
#include <math.h>
#include <string.h>
#include <barrier>
#include <thread>
#include <vector>
#include <functional>
#include <mutex>
struct Dim3 { unsigned x = 0, y = 0, z = 0; };
static Dim3 blockIdx_g, blockDim, gridDim;
static thread_local Dim3 threadIdx;
static std::barrier<>* g_bar = nullptr;
#define blockIdx blockIdx_g
#define __global__
#define __device__
#define __forceinline__ inline
#define __syncthreads() g_bar->arrive_and_wait()
static std::mutex g_mu;
static inline int atomicOr(int* p, int v) { std::lock_guard<std::mutex> l(g_mu); int o = *p; *p |= v; return o; }
static inline float __int_as_float(int i) { float f; memcpy(&f, &i, sizeof f); return f; }
static inline double __longlong_as_double(long long i) {
    double d;
    memcpy(&d, &i, sizeof d);
    return d;
}
#include "ssnt.cu"

static void launch(unsigned grid, unsigned threads, const std::function<void()>& body) {
    gridDim.x = grid; blockDim.x = threads;
    for (unsigned b = 0; b < grid; ++b) {
        blockIdx.x = b;
        std::barrier<> bar(threads);
        g_bar = &bar;
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; ++t)
            ts.emplace_back([t, &body] { threadIdx.x = t; body(); });
        for (auto& th : ts) th.join();
    }
}

extern "C" void emu_forward(unsigned threads, const real* lp, const long long* tg, const real* emit,
    const long long* sl, const long long* tl, const long long* ro, long long B, long long S,
    long long V, int mode, real* alpha, real* total, int* flags) {
    launch(B, threads, [&] { ssnt_forward(lp, tg, emit, sl, tl, ro, B, S, V, mode, alpha, total, flags); });
}
extern "C" void emu_beta(unsigned threads, const real* lp, const long long* tg, const real* emit,
    const long long* sl, const long long* tl, const long long* ro, long long B, long long S,
    long long V, int mode, real* beta) {
    launch(B, threads, [&] { ssnt_beta(lp, tg, emit, sl, tl, ro, B, S, V, mode, beta); });
}
extern "C" void emu_grad(unsigned grid, unsigned threads, const real* lp, const long long* tg, const real* emit,
    const long long* sl, const long long* tl, const long long* ro, const long long* rs, long long R,
    long long S, long long V, int mode, const real* alpha, const real* beta, const real* total,
    const real* gout, real* glp, real* gem) {
    launch(grid, threads, [&] { ssnt_grad(lp, tg, emit, sl, tl, ro, rs, R, S, V, mode, alpha, beta, total, gout, glp, gem); });
}
