r"""DTW under a limited warping path length (LDTW, Zhang et al. 2017).

.. math::

    LDTW_L(X, Y) = \min_{\pi : |\pi| \le L} \sqrt{\sum_{(i, j) \in \pi} \|X_i - Y_j\|^2}

over the warping paths of DTW made of at most ``L`` cells.  tslearn's API;
with torch tensors that require grad the value is differentiable through the
optimal path, as :func:`tsalign.dtw` is.  CUDA arrays run on the GPU
(``kernels/cuda/ldtw.cu``: the layers of the step count one after another,
the cells of a layer in parallel); the state holds ``N M L`` values per pair.
"""

from __future__ import annotations

from typing import Any

from ._lib.backend import backend_of
from ._lib.costs import sq_euclidean
from ._lib.docs import add_fragments, fill_doc
from ._lib.paths import differentiable_sq, pair_result, path_result, sqrt_values
from ._lib.validation import check_int, series_pair

__all__ = ["dtw_limited_warping_length", "dtw_path_limited_warping_length"]

add_fragments(
    # the whole Parameters section of the family's pair functions
    ldtw_parameters="""\
%(pair_parameters)s
max_length : int
    Largest number of cells of the path; at least ``max(N, M)``.
%(be)s""",
)


def _solve(be, s1, s2, max_length):
    a, b, batched = series_pair(be, s1, s2)
    max_length = check_int(max_length, "max_length", minimum=1)
    need = int(max(a.lengths.max(), b.lengths.max()))
    if max_length < need:
        raise ValueError(
            f"max_length={max_length}: cannot find a path of length {max_length} to align "
            f"the given time series (it must be at least the longer length, {need})"
        )
    max_length = min(max_length, int(a.X.shape[1] + b.X.shape[1] - 1))
    C = sq_euclidean(be, a.X, b.X)
    if be.is_pytorch:
        C = C.detach()
    R = be.call_kernel("ldtw", "ldtw_acc", C, C, a.lengths, b.lengths, max_length)
    sq, steps = be.call_kernel("ldtw", "ldtw_end", R, R, a.lengths, b.lengths)
    steps_host = be.to_numpy(steps) if not be.is_numpy else steps
    paths, plen = be.call_kernel("ldtw", "ldtw_paths", R, R, a.lengths, b.lengths, steps_host)
    if be.needs_grad(a.X, b.X):
        sq = differentiable_sq(be, a.X, b.X, paths, plen)
    return sqrt_values(be, sq), paths, plen, batched


@fill_doc
def dtw_limited_warping_length(s1, s2, max_length: int, be: Any = None):
    r"""DTW restricted to warping paths of at most ``max_length`` cells.

    %(ldtw_parameters)s

    Returns
    -------
    float or array
        The LDTW value (a float for one numpy pair, a 0-d tensor for one torch
        pair, shape (B,) for a batch); equal to DTW once ``max_length`` is at
        least the optimal DTW path's length.

    Raises
    ------
    ValueError
        If ``max_length < max(N, M)`` (no path is that short).

    Examples
    --------
    >>> dtw_limited_warping_length([1, 2, 3], [1., 2., 2., 3., 4.], 5)
    1.0
    >>> round(dtw_limited_warping_length([1, 2, 3, 4], [1., 1., 4., 4.], 4), 4)
    1.4142
    """
    be = backend_of(s1, s2, be=be)
    value, _, _, batched = _solve(be, s1, s2, max_length)
    return pair_result(be, value, batched)


@fill_doc
def dtw_path_limited_warping_length(s1, s2, max_length: int, be: Any = None):
    r"""LDTW value and its optimal path (at most ``max_length`` cells).

    Same arguments as :func:`dtw_limited_warping_length`.  Among the cheapest
    paths the shortest is returned; ties between predecessors are broken as
    in tslearn (diagonal, then up, then left).

    %(ldtw_parameters)s

    Returns
    -------
    path : list of (int, int)
        The optimal path of at most ``max_length`` cells, from (0, 0) to
        (N-1, M-1); for a batch, one list per pair.
    distance : float or array
        As returned by :func:`dtw_limited_warping_length`.

    Examples
    --------
    >>> path, cost = dtw_path_limited_warping_length([1, 2, 3], [1., 2., 2., 3., 4.], 5)
    >>> path
    [(0, 0), (1, 1), (1, 2), (2, 3), (2, 4)]
    >>> cost
    1.0
    """
    be = backend_of(s1, s2, be=be)
    value, paths, plen, batched = _solve(be, s1, s2, max_length)
    return path_result(be, paths, plen, value, batched)
