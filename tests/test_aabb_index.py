"""The broad-phase index (geometry.aabb_index) finds exactly the pairs the all-against-all AABB test finds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from twinsplit.geometry import box
from twinsplit.geometry.aabb_index import BRUTE_MAX, AabbIndex
from twinsplit.geometry.batch import PairDepths, ShapeSet, body_depths, candidate_pairs
from twinsplit.geometry.broad import _aabbs_overlap


def _random_boxes(rng: np.random.Generator, n: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Mostly small boxes over `spread`, some of them flat (zero thickness), a few very wide (floors, walls)."""
    lo = rng.uniform(-spread, spread, (n, 3))
    size = rng.uniform(0.0, 1.5, (n, 3)) * rng.choice([0.01, 1.0], (n, 3), p=[0.1, 0.9])
    wide = rng.random(n) < 0.05
    size[wide, :2] *= rng.uniform(10, 40, (int(wide.sum()), 2))
    lo[:, 2] *= 0.05  # most of a site is at floor height
    return lo, lo + size


def _all_pairs(qlo, qhi, blo, bhi, tol) -> set[tuple[int, int]]:
    hit = _aabbs_overlap(qlo[:, None], qhi[:, None], blo[None], bhi[None], tol)
    return set(zip(*(a.tolist() for a in np.nonzero(hit)), strict=True))


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 3 * BRUTE_MAX), st.integers(0, 150),
       st.sampled_from([1e-4, 0.0, -1e-3, 0.2]), st.sampled_from([0.5, 4.0, 30.0, 4e4]), st.booleans())
def test_index_pairs_equal_all_against_all(seed, n, m, tol, spread, masked):
    rng = np.random.default_rng(seed)
    blo, bhi = _random_boxes(rng, n, spread)
    qlo, qhi = _random_boxes(rng, m, spread * rng.choice([0.5, 1.0, 3.0]))  # some queries beyond the grid
    if m:
        qhi[0] += 5 * spread  # a query over many cells
    mask = rng.random(n) < 0.6 if masked else None
    iq, ib = AabbIndex(blo, bhi).pairs(qlo, qhi, tol, mask)
    got = list(zip(iq.tolist(), ib.tolist(), strict=True))
    assert len(got) == len(set(got)), "a pair found twice"
    want = _all_pairs(qlo, qhi, blo, bhi, tol)
    if mask is not None:
        want = {(q, b) for q, b in want if mask[b]}
    assert set(got) == want


def test_a_negative_tol_finds_boxes_that_nearly_touch_across_a_cell():
    """With tol < 0 (pairs within |tol| of touching, as verify's support check asks), a partner's low corner may
    lie two cells below the query's: 0.9 mm short of it, one cell wide."""
    blo = np.array([[0.0, 0.0, 0.0], [0.9991, 0.0, 0.0]] + [[x, 40.0, 0.0] for x in range(40)])
    bhi = blo + 1.0
    index = AabbIndex(blo, bhi)
    assert not index.brute and index.cell == 1.0
    qlo, qhi = np.array([[2.0, 0.2, 0.2]]), np.array([[3.5, 0.5, 0.5]])
    iq, ib = index.pairs(qlo, qhi, -1e-3)
    assert set(ib.tolist()) == {1} == {b for _, b in _all_pairs(qlo, qhi, blo, bhi, -1e-3)}


def test_a_wide_sparse_index_searches_its_keys():
    """Tiny boxes kilometres apart: a cell table would be huge, so the index searches its sorted keys instead."""
    rng = np.random.default_rng(7)
    blo, bhi = _random_boxes(rng, 200, 1.0)
    blo[:, :2] *= 1e5
    bhi[:, :2] = blo[:, :2] + 0.01
    index = AabbIndex(blo, bhi)
    assert index.start is None
    qlo, qhi = blo - 0.005, bhi + 0.005
    iq, ib = index.pairs(qlo, qhi, 1e-4)
    assert set(zip(iq.tolist(), ib.tolist(), strict=True)) == _all_pairs(qlo, qhi, blo, bhi, 1e-4)
    assert set(zip(iq.tolist(), ib.tolist(), strict=True)) >= {(k, k) for k in range(200)}


def _grid_set(n: int) -> ShapeSet:
    rng = np.random.default_rng(n)
    return ShapeSet.of([box(f"/b{k}", [*rng.uniform(0, 6, 2), 0.3], rng.uniform(0.1, 0.4, 3), dynamic=k % 4 != 0)
                        for k in range(n)])


def test_candidate_pairs_keep_the_index_and_honour_the_mask():
    s = _grid_set(80)
    assert s.aabb_index is s.aabb_index  # built once per set
    mask = np.arange(len(s)) % 3 == 0
    ia, ib = candidate_pairs(s, s, 1e-4, mask)
    want = {(q, b) for q, b in _all_pairs(s.lo, s.hi, s.lo, s.hi, 1e-4) if mask[b]}
    assert set(zip(ia.tolist(), ib.tolist(), strict=True)) == want and want


def test_join_is_the_rows_of_its_parts():
    s = _grid_set(40)
    d = np.tile(np.eye(4), (10, 1, 1))
    d[:, 3, :2] = 0.25
    a, b = s.subset(np.arange(5, 15)).moved(d), s.subset(np.arange(30, 35))
    j = ShapeSet.join([a, b])
    assert np.array_equal(j.lo, np.concatenate([a.lo, b.lo]))
    assert np.array_equal(j.index, [*range(5, 15), *range(30, 35)])
    assert np.allclose(j.shape(0).center, s.shapes[5].center + [0.25, 0.25, 0])
    assert np.allclose(j.shape(12).center, s.shapes[32].center)


def test_pair_depths_look_up_like_the_table():
    s = _grid_set(120)
    depths = body_depths(s, s, 1e-4)
    assert depths, "the grid set should hold overlapping pairs"
    table = PairDepths(depths, list(s.body))
    ids = table.ids(s.body)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, len(s), 400), rng.integers(0, len(s), 400)
    pairs = list(depths)[:50]
    i = np.concatenate([i, [int(a[2:]) for a, _ in pairs], [int(b[2:]) for _, b in pairs]])
    j = np.concatenate([j, [int(b[2:]) for _, b in pairs], [int(a[2:]) for a, _ in pairs]])
    d = rng.uniform(0, 0.3, len(i))
    want = [(k := tuple(sorted((s.body[a], s.body[b])))) in depths and x <= depths[k] + 1e-4
            for a, b, x in zip(i, j, d, strict=True)]
    assert table.kept(ids[i], ids[j], d, 1e-4).tolist() == want
    assert any(want) and not all(want)
