"""A block ``D[i0:i1, j0:j1]`` of a cdist matrix, computed without the rest (``block=``).

dtaidistance users split an all-pairs matrix by hand with ``block=((i0, i1), (j0, j1))``;
tsalign returns the block itself (shape ``(i1 - i0, j1 - j0)``), not a full-size matrix
with ``inf`` outside it, so the memory is the block's.

A dataset against itself keeps the in-memory symmetric semantics entry for entry: the
value at ``(a, b)`` is the one of the pair ``(min(a, b), max(a, b))`` (first series first),
the diagonal that of the symmetric call.  :func:`block_pieces` cuts the block into pieces
that are each all above the diagonal (a cross call), all below it (a cross call of the
mirrored ranges, transposed) or the square on the diagonal (a symmetric call), so no pair
is computed twice and none in the other order.  The Dask path (``tsalign/_dask``) cuts its
lazy matrices the same way.
"""

from __future__ import annotations

from numbers import Integral

from .validation import _is_flat_numbers

SYMMETRIC = "symmetric"
CROSS = "cross"
MIRRORED = "mirrored"


def n_series(ds) -> int:
    """Number of series of a cdist dataset (``(N,)`` or a list of numbers is one series)."""
    if isinstance(ds, (list, tuple)):
        return 1 if len(ds) > 0 and _is_flat_numbers(ds) else len(ds)
    shape = getattr(ds, "shape", None)
    if shape is None:
        return n_series(list(ds))
    return 1 if len(shape) == 1 else int(shape[0])


def take_series(ds, start: int, stop: int):
    """Series ``start:stop`` of a dataset, in the dataset's own type (no copy)."""
    if isinstance(ds, (list, tuple)):
        if len(ds) > 0 and _is_flat_numbers(ds):
            return [ds]  # one series: (start, stop) is (0, 1)
        return list(ds[start:stop])
    if len(ds.shape) == 1:
        return ds[None]
    return ds[start:stop]


def _range(r, n: int, name: str) -> tuple[int, int]:
    if r is None:
        return 0, n
    try:
        lo, hi = r
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (start, stop) or None, got {r!r}") from None
    for v in (lo, hi):
        if isinstance(v, bool) or not isinstance(v, Integral):
            raise TypeError(f"{name} must hold integers, got {r!r}")
    lo, hi = int(lo), int(hi)
    if not 0 <= lo < hi <= n:
        raise ValueError(f"{name} must satisfy 0 <= start < stop <= {n}, got ({lo}, {hi})")
    return lo, hi


def check_block(block, n1: int, n2: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """``block`` as ``((i0, i1), (j0, j1))`` within ``n1 x n2`` (None: a whole axis)."""
    if block is None:
        return (0, n1), (0, n2)
    if isinstance(block, (str, bytes)) or not hasattr(block, "__len__") or len(block) != 2:
        raise ValueError(
            f"block must be ((row_start, row_stop), (col_start, col_stop)), got {block!r}"
        )
    return _range(block[0], n1, "block[0]"), _range(block[1], n2, "block[1]")


def _cuts(lo: int, hi: int, at) -> list[tuple[int, int]]:
    points = sorted({lo, hi, *(p for p in at if lo < p < hi)})
    return list(zip(points[:-1], points[1:], strict=False))


def block_pieces(rows: tuple[int, int], cols: tuple[int, int]):
    """The block ``rows x cols`` of a symmetric matrix as a grid of pieces.

    Returns a list of rows of pieces ``(kind, (r0, r1), (c0, c1))``: ``CROSS`` when every
    row index is below every column index, ``MIRRORED`` when above (compute the cross
    matrix of ``(c0, c1) x (r0, r1)`` and transpose it), ``SYMMETRIC`` for the square of
    the overlap.  Cutting the rows at the column range's ends and the columns at the row
    range's ends leaves no other case.
    """
    grid = []
    for r0, r1 in _cuts(*rows, cols):
        line = []
        for c0, c1 in _cuts(*cols, rows):
            if (r0, r1) == (c0, c1):
                kind = SYMMETRIC
            elif r1 <= c0:
                kind = CROSS
            elif c1 <= r0:
                kind = MIRRORED
            else:  # pragma: no cover - excluded by the cuts
                raise AssertionError((r0, r1, c0, c1))
            line.append((kind, (r0, r1), (c0, c1)))
        grid.append(line)
    return grid


def cdist_block(fn, dataset1, dataset2, block, kw: dict):
    """``fn(dataset1, dataset2, **kw)[i0:i1, j0:j1]``, computing only that block.

    ``fn`` is an in-memory ``cdist_*`` function; the pieces are joined with the array
    namespace of the results (differentiable for torch tensors).
    """
    from array_api_compat import array_namespace

    n1 = n_series(dataset1)
    if dataset2 is not None:
        rows, cols = check_block(block, n1, n_series(dataset2))
        return fn(take_series(dataset1, *rows), take_series(dataset2, *cols), block=None, **kw)
    rows, cols = check_block(block, n1, n1)
    grid = []
    for line in block_pieces(rows, cols):
        parts = []
        for kind, (r0, r1), (c0, c1) in line:
            if kind == SYMMETRIC:
                parts.append(fn(take_series(dataset1, r0, r1), block=None, **kw))
            elif kind == CROSS:
                a, b = take_series(dataset1, r0, r1), take_series(dataset1, c0, c1)
                parts.append(fn(a, b, block=None, **kw))
            else:
                a, b = take_series(dataset1, c0, c1), take_series(dataset1, r0, r1)
                t = fn(a, b, block=None, **kw)
                parts.append(array_namespace(t).permute_dims(t, (1, 0)))
        grid.append(parts)
    xp = array_namespace(grid[0][0])
    lines = [p[0] if len(p) == 1 else xp.concat(p, axis=1) for p in grid]
    return lines[0] if len(lines) == 1 else xp.concat(lines, axis=0)
