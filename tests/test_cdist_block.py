"""``block=((i0, i1), (j0, j1))`` on the cdist functions: the block of the full matrix."""

from __future__ import annotations

import numpy as np
import pytest

from tsalign import cdist_dtw, cdist_soft_dtw, cdist_soft_dtw_normalized
from tsalign._lib.blocks import CROSS, MIRRORED, SYMMETRIC, block_pieces

FUNCS = [
    (cdist_dtw, {}),
    (cdist_dtw, {"sakoe_chiba_radius": 2}),
    (cdist_soft_dtw, {"gamma": 0.3}),
    (cdist_soft_dtw, {"gamma": 0.0}),
    (cdist_soft_dtw_normalized, {"gamma": 1.0, "global_constraint": "itakura"}),
]
IDS = ["dtw", "dtw-sakoe", "sdtw", "sdtw-gamma0", "sdtw-norm-itakura"]

BLOCKS = [
    ((0, 11), (0, 11)),  # everything
    ((2, 9), (4, 11)),  # straddles the diagonal
    ((0, 3), (5, 11)),  # above it
    ((7, 11), (0, 4)),  # below it
    ((3, 4), (3, 4)),  # one diagonal entry
    ((0, 11), None),  # all columns
    (None, (6, 8)),
]


@pytest.fixture
def data(rng):
    X = rng.normal(size=(11, 9, 2))
    return X


@pytest.mark.parametrize(("fn", "kw"), FUNCS, ids=IDS)
@pytest.mark.parametrize("block", BLOCKS)
def test_self_block_is_the_block_of_the_full_matrix(data, fn, kw, block):
    full = fn(data, **kw)
    (i0, i1), (j0, j1) = (r if r is not None else (0, 11) for r in block)
    got = fn(data, block=block, **kw)
    assert got.shape == (i1 - i0, j1 - j0)
    # the same pairs in the same order as the symmetric call: equal, not just close
    np.testing.assert_array_equal(got, full[i0:i1, j0:j1])


@pytest.mark.parametrize(("fn", "kw"), FUNCS, ids=IDS)
def test_cross_block_and_ragged_lists(rng, fn, kw):
    X = [rng.normal(size=(n, 1)) for n in (9, 7, 9, 8, 9)]
    Y = [rng.normal(size=(n, 1)) for n in (9, 9, 6, 9)]
    full = fn(X, Y, **kw)
    np.testing.assert_array_equal(fn(X, Y, block=((1, 4), (2, 4)), **kw), full[1:4, 2:4])
    np.testing.assert_array_equal(fn(X, block=((3, 5), (0, 2)), **kw), fn(X, **kw)[3:5, 0:2])


def test_block_of_one_series_and_lists_of_numbers():
    assert cdist_dtw([1.0, 2.0, 3.0], block=((0, 1), (0, 1))).tolist() == [[0.0]]
    got = cdist_dtw([[1, 2, 3], [3, 4, 5], [0, 0, 1]], block=((0, 2), (1, 3)))
    np.testing.assert_array_equal(got, cdist_dtw([[1, 2, 3], [3, 4, 5], [0, 0, 1]])[0:2, 1:3])


def test_block_keeps_float32(data):
    got = cdist_dtw(data.astype(np.float32), block=((0, 4), (2, 6)))
    assert got.dtype == np.float32


@pytest.mark.parametrize(
    ("block", "err", "match"),
    [
        (((0, 12), (0, 3)), ValueError, r"block\[0\] must satisfy 0 <= start < stop <= 11"),
        (((3, 3), (0, 3)), ValueError, r"block\[0\]"),
        (((0, 3), (-1, 3)), ValueError, r"block\[1\]"),
        (((0, 3), (0, 2.5)), TypeError, r"block\[1\] must hold integers"),
        (((0, 3),), ValueError, "block must be"),
        ("ab", ValueError, "block must be"),
        (((0, 3), 5), ValueError, r"block\[1\] must be a pair"),
    ],
)
def test_bad_blocks(data, block, err, match):
    with pytest.raises(err, match=match):
        cdist_dtw(data, block=block)


def test_block_pieces_cover_the_block_once():
    rng = np.random.default_rng(3)
    for _ in range(200):
        i0, i1 = sorted(rng.choice(12, 2, replace=False))
        j0, j1 = sorted(rng.choice(12, 2, replace=False))
        seen = np.zeros((12, 12), dtype=int)
        for line in block_pieces((i0, i1), (j0, j1)):
            for kind, (r0, r1), (c0, c1) in line:
                a, b = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
                if kind == CROSS:
                    assert (a < b).all()
                elif kind == MIRRORED:
                    assert (a > b).all()
                else:
                    assert kind == SYMMETRIC and (r0, r1) == (c0, c1)
                seen[r0:r1, c0:c1] += 1
        want = np.zeros((12, 12), dtype=int)
        want[i0:i1, j0:j1] = 1
        np.testing.assert_array_equal(seen, want)


def test_block_with_torch_gradients(rng):
    torch = pytest.importorskip("torch")
    X = torch.tensor(rng.normal(size=(6, 7, 1)), requires_grad=True)
    block = ((1, 5), (2, 6))
    got = cdist_soft_dtw(X, gamma=0.5, block=block)
    (g_block,) = torch.autograd.grad(got.sum(), X)
    full = cdist_soft_dtw(X, gamma=0.5)
    (g_full,) = torch.autograd.grad(full[1:5, 2:6].sum(), X)
    torch.testing.assert_close(got, full[1:5, 2:6].detach(), rtol=0, atol=0)
    torch.testing.assert_close(g_block, g_full, rtol=1e-12, atol=1e-12)
