"""CuPy RawKernels (GPU): CUDA sources (``*.cu``) beside their launchers."""
