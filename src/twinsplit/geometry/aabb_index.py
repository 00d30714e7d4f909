"""A broad-phase index over axis-aligned boxes: built once over a set that stays put, queried many times.

Layout places thousands of units in rounds against the same obstacles, the same source poses and the same
support tops; verify re-checks every variant against the same source. Binning those boxes once (instead of
per query batch) is what keeps a round proportional to the candidates it tests. The answer is exact: every
pair whose boxes overlap by more than `tol` on every axis (`broad._aabbs_overlap`'s test), and no other;
pairs come in no particular order.
"""

from __future__ import annotations

import numpy as np

BIG_FACTOR = 8.0  # boxes wider than this many median widths (floors, walls) are tested against every query
BRUTE_MAX = 32  # an index of at most this many boxes tests every query against all of them (no grid)
MAX_COLUMNS = 8  # a query spanning more columns of cells than this is tested against every binned box
_CHUNK = 1 << 20  # query x box tests per vectorised block of the all-against-all test


def _all_pairs(qlo, qhi, blo, bhi, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Every (query, box) pair overlapping by more than tol, testing all of them: one axis at a time on
    contiguous columns, looping over the shorter side when it is short, else in blocks of queries."""
    nq, nb = len(qlo), len(blo)
    if nq == 0 or nb == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    ql, qh, bl, bh = qlo.T.copy(), qhi.T.copy(), blo.T.copy(), bhi.T.copy()
    if min(nq, nb) <= BRUTE_MAX:
        loop_q = nq < nb
        (sl, sh), (ll, lh) = ((ql, qh), (bl, bh)) if loop_q else ((bl, bh), (ql, qh))
        out_s, out_l = [], []
        for k in range(sl.shape[1]):  # the short side, one box at a time, against all of the long side
            if loop_q:
                m = (sh[0, k] - ll[0] > tol) & (lh[0] - sl[0, k] > tol)
                for ax in (1, 2):
                    m &= (sh[ax, k] - ll[ax] > tol) & (lh[ax] - sl[ax, k] > tol)
            else:
                m = (lh[0] - sl[0, k] > tol) & (sh[0, k] - ll[0] > tol)
                for ax in (1, 2):
                    m &= (lh[ax] - sl[ax, k] > tol) & (sh[ax, k] - ll[ax] > tol)
            i = np.flatnonzero(m)
            out_l.append(i)
            out_s.append(np.full(len(i), k))
        s_, l_ = np.concatenate(out_s), np.concatenate(out_l)
        return (s_, l_) if loop_q else (l_, s_)
    out_q, out_b = [], []
    step = max(1, _CHUNK // nb)
    for s in range(0, nq, step):
        m = np.ones((min(step, nq - s), nb), dtype=bool)
        for ax in range(3):
            m &= (qh[ax, s:s + step, None] - bl[ax] > tol) & (bh[ax] - ql[ax, s:s + step, None] > tol)
        iq, ib = np.nonzero(m)
        out_q.append(iq + s)
        out_b.append(ib)
    return np.concatenate(out_q), np.concatenate(out_b)


class AabbIndex:
    """Boxes (lo, hi: (n, 3)) binned by their low corner on a 2-D grid over the two axes where they spread
    most, cells as wide as the widest box that is not very wide, so a query's partners have their low corner
    between one cell below its own and its high corner's cell. Very wide boxes (floors, walls), queries spanning
    more than MAX_COLUMNS columns of cells, and indexes of at most BRUTE_MAX boxes are tested all against all."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo = np.asarray(lo, dtype=float).reshape(-1, 3)
        self.hi = np.asarray(hi, dtype=float).reshape(-1, 3)
        n = len(self.lo)
        self.brute = n <= BRUTE_MAX
        if self.brute:
            return
        w = self.hi - self.lo
        self.axes = np.argsort(-np.var((self.lo + self.hi) / 2, axis=0), kind="stable")[:2]
        span = w[:, self.axes].max(1)
        med = float(np.median(span))
        big = span > med * BIG_FACTOR if med > 0 else np.zeros(n, dtype=bool)
        self.big, self.small = np.flatnonzero(big), np.flatnonzero(~big)
        if not len(self.small):
            return
        self.cell = max(float(span[self.small].max()), 1e-12)
        self.origin = self.lo[self.small][:, self.axes].min(0)
        cb = np.floor((self.lo[self.small][:, self.axes] - self.origin) / self.cell).astype(np.int64)
        self.ncell = cb.max(0)  # highest occupied cell on each grid axis
        self.width = int(self.ncell[1]) + 1
        key = cb[:, 0] * self.width + cb[:, 1]
        order = np.argsort(key, kind="stable")
        self.key, self.sorted = key[order], self.small[order]
        cells = int(self.ncell[0] + 1) * self.width
        # where each cell's run of keys starts: a table when it is not much larger than the index, else a search
        self.start = (np.concatenate([[0], np.cumsum(np.bincount(key, minlength=cells))])
                      if cells <= 4 * n + 4096 else None)
        self.packed = np.concatenate([self.lo, self.hi], axis=1)[self.sorted]  # (lo, hi) rows in key order

    def __len__(self) -> int:
        return len(self.lo)

    def pairs(self, qlo: np.ndarray, qhi: np.ndarray, tol: float, mask: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
        """(iq, ib): every query box q and indexed box b (only those where `mask` holds, if given) with
        qhi - blo > tol and bhi - qlo > tol on every axis."""
        qlo = np.asarray(qlo, dtype=float).reshape(-1, 3)
        qhi = np.asarray(qhi, dtype=float).reshape(-1, 3)
        if len(qlo) == 0 or len(self) == 0:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        if self.brute:
            return self._masked_all(qlo, qhi, np.arange(len(self)), tol, mask)
        out_q, out_b = [], []
        if len(self.small):
            q, b = self._grid_pairs(qlo, qhi, tol, mask, out_q, out_b)
            out_q.append(q)
            out_b.append(b)
        if len(self.big):
            q, b = self._masked_all(qlo, qhi, self.big, tol, mask)
            out_q.append(q)
            out_b.append(b)
        return np.concatenate(out_q), np.concatenate(out_b)

    def _masked_all(self, qlo, qhi, rows: np.ndarray, tol: float, mask) -> tuple[np.ndarray, np.ndarray]:
        if mask is not None:
            rows = rows[mask[rows]]
        iq, ib = _all_pairs(qlo, qhi, self.lo[rows], self.hi[rows], tol)
        return iq, rows[ib]

    def _grid_pairs(self, qlo, qhi, tol: float, mask, out_q: list, out_b: list) -> tuple[np.ndarray, np.ndarray]:
        """Pairs with the binned boxes: each query scans the cells from one below its low corner's to its high
        corner's, one run of keys per column of cells; a query spanning more than MAX_COLUMNS columns is tested
        against every binned box instead (its pairs go to out_q/out_b)."""
        # a partner's low corner lies in [query low - cell - margin, query high + margin] on each grid axis; the
        # margin covers a negative tol (pairs that only touch)
        margin = max(-tol, 0.0)
        ax = self.axes
        lo_c = np.floor((qlo[:, ax] - margin - self.origin) / self.cell) - 1
        hi_c = np.floor((qhi[:, ax] + margin - self.origin) / self.cell)
        x0, y0 = np.clip(lo_c, 0, self.ncell + 1).T
        x1, y1 = np.clip(hi_c, -1, self.ncell).T
        ncol = np.where(y0 <= y1, np.maximum(x1 - x0 + 1, 0), 0)
        wide = ncol > MAX_COLUMNS
        if wide.any():
            w = np.flatnonzero(wide)
            iq, ib = self._masked_all(qlo[w], qhi[w], self.small, tol, mask)
            out_q.append(w[iq])
            out_b.append(ib)
            ncol[w] = 0
        ncol = ncol.astype(np.int64)
        seg = np.repeat(np.arange(len(qlo)), ncol)  # one segment per (query, column of cells)
        col = x0.astype(np.int64)[seg] + np.arange(len(seg)) - np.repeat(np.cumsum(ncol) - ncol, ncol)
        k0 = col * self.width + y0.astype(np.int64)[seg]
        k1 = col * self.width + y1.astype(np.int64)[seg]
        if self.start is not None:
            first, last = self.start[k0], self.start[k1 + 1]
        else:
            first, last = np.searchsorted(self.key, k0, side="left"), np.searchsorted(self.key, k1, side="right")
        counts = last - first
        total = int(counts.sum())
        if total == 0:
            return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
        iq = np.repeat(seg, counts)
        pos = np.arange(total) + np.repeat(first - (np.cumsum(counts) - counts), counts)
        if mask is not None:
            sel = mask[np.take(self.sorted, pos)]
            iq, pos = iq[sel], pos[sel]
        q = np.take(np.concatenate([qlo, qhi], axis=1), iq, axis=0)
        b = np.take(self.packed, pos, axis=0)
        ok = q[:, 3] - b[:, 0] > tol  # the test of _all_pairs, a column at a time
        for a in (1, 2):
            ok &= q[:, 3 + a] - b[:, a] > tol
        for a in range(3):
            ok &= b[:, 3 + a] - q[:, a] > tol
        return iq[ok], np.take(self.sorted, pos[ok])
