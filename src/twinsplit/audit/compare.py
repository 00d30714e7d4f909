"""Contamination between two sets of StageRecords: exact pairs (equal content hashes) and near pairs (a
nearest neighbour under the threshold), plus every A stage's nearest-neighbour distance.

Distance: L-inf over the feature values both sets share (every key present in every stage), each value scaled
to [0, 1] by its range over both sets together, as twinsplit's margin is over normalized parameters. A value
constant over both sets tells stages apart no more than a missing one and is left out. So a near pair is two
stages whose every varying compared value differs by less than `threshold` of that value's range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .extract import Layout, StageRecord

DEFAULT_THRESHOLD = 0.01


@dataclass(frozen=True)
class Pair:
    """A contaminated pair: `a` from the audited set, `b` from the set it is audited against."""

    a: str
    b: str
    kind: str  # "exact" (same composed content) or "near" (features within the threshold)
    distance: float


@dataclass(frozen=True)
class Space:
    """The feature space both sets are compared in."""

    keys: int = 0  # feature keys every stage has
    values: int = 0  # their values
    varying: int = 0  # values that vary over both sets (the compared dimensions)
    dropped: int = 0  # keys some stage lacks (not compared)


@dataclass(frozen=True)
class Result:
    a: tuple[str, ...]
    b: tuple[str, ...]
    threshold: float
    space: Space
    pairs: tuple[Pair, ...]
    # per A stage: (its nearest B stage, the distance); empty when no value varies
    nearest: tuple[tuple[str, str, float], ...] = field(default=())

    @property
    def contaminated(self) -> bool:
        return bool(self.pairs)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.pairs if p.kind == kind)

    def distribution(self) -> dict[str, float] | None:
        """Quantiles of the nearest-neighbour distances, or None when nothing was compared."""
        if not self.nearest:
            return None
        d = np.array([n[2] for n in self.nearest])
        q = np.quantile(d, [0.0, 0.05, 0.5, 0.95, 1.0])
        return {"min": float(q[0]), "p05": float(q[1]), "median": float(q[2]), "p95": float(q[3]),
                "max": float(q[4]), "below_threshold": int((d < self.threshold).sum())}


def _columns(layout: Layout, keys: list[str]) -> np.ndarray:
    """Indices into a stage's values of `keys`' vectors, in that order."""
    offsets, at = {}, 0
    for key, dim in layout:
        offsets[key] = (at, dim)
        at += dim
    return np.concatenate([np.arange(offsets[k][0], offsets[k][0] + offsets[k][1]) for k in keys])


def feature_matrix(records: list[StageRecord]) -> tuple[np.ndarray, Space]:
    """(n stages x varying values) scaled to [0, 1], and the space it spans."""
    layouts = list(dict.fromkeys(r.layout for r in records))  # stages of one twin share one layout object
    dims = [dict(layout) for layout in layouts]
    common = set(dims[0])
    for d in dims[1:]:
        common &= {k for k, n in d.items() if dims[0].get(k) == n}
    every = set().union(*dims)
    keys = sorted(common)
    if not keys:
        return np.zeros((len(records), 0)), Space(dropped=len(every))
    cols = {layout: _columns(layout, keys) for layout in layouts}
    x = np.stack([r.values[cols[r.layout]] for r in records])
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    vary = span > 1e-12 * np.maximum(1.0, np.abs(lo))  # equal up to float noise: not a dimension
    x = (x[:, vary] - lo[vary]) / span[vary]
    return x, Space(len(keys), len(lo), int(vary.sum()), len(every) - len(keys))


def audit(a: list[StageRecord], b: list[StageRecord], threshold: float = DEFAULT_THRESHOLD) -> Result:
    pairs: list[Pair] = []
    by_content: dict[str, list[str]] = {}
    for r in b:
        by_content.setdefault(r.content, []).append(r.file)
    exact = set()
    for r in a:
        for other in by_content.get(r.content, ()):
            pairs.append(Pair(r.file, other, "exact", 0.0))
            exact.add((r.file, other))
    x, space = feature_matrix(a + b)
    nearest: list[tuple[str, str, float]] = []
    if space.varying:
        xa, xb = x[: len(a)], x[len(a):]
        from scipy.spatial import cKDTree  # here: scipy.spatial costs ~0.3 s to import

        tree = cKDTree(xb)
        dist, idx = tree.query(xa, k=1, p=np.inf)
        for i, r in enumerate(a):
            nearest.append((r.file, b[idx[i]].file, float(dist[i])))
            if dist[i] >= threshold:
                continue
            for j in sorted(tree.query_ball_point(xa[i], threshold, p=np.inf)):
                d = float(np.abs(xb[j] - xa[i]).max())
                if d < threshold and (r.file, b[j].file) not in exact:
                    pairs.append(Pair(r.file, b[j].file, "near", d))
    pairs.sort(key=lambda p: (p.a, p.kind != "exact", p.distance, p.b))
    return Result(tuple(r.file for r in a), tuple(r.file for r in b), threshold, space, tuple(pairs),
                  tuple(nearest))
