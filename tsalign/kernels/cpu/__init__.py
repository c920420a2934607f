"""numba kernels (CPU)."""
