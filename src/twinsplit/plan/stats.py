"""How far apart are train and holdout? Distances over normalized parameter vectors (rows in [0,1]^d).

Everything here is deterministic (no randomness) so a manifest that embeds `distance_report` is
byte-identical across runs. Inputs are 2-D arrays (rows = variants, columns = parameters).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

# ~32 MB of float64 per block: 5,000 x 5,000 pairs are summed without ever holding them all.
_BLOCK_ELEMS = 4_000_000
# V-statistics of two equal multisets cancel only up to summation order; a value this small relative
# to the cross term is rounding, not distance, and is reported as exactly 0.
_REL_ZERO = 1e-12
# The median heuristic looks at the pairwise distances of at most this many pooled rows, picked at
# evenly spaced indices (deterministic); 2,000 rows = 2M distances.
_MEDIAN_MAX_ROWS = 2_000
SIG_DIGITS = 6
# scipy's wasserstein_distance takes np.vecdot where numpy has it (>= 2.0), else sum(x * y): the same here.
_vecdot = getattr(np, "vecdot", None) or (lambda x, y: np.sum(x * y, axis=-1))

METHOD = {
    "grid": "energy, MMD, bandwidth and nearest-train L2 are computed on the rows rounded to a grid of step "
            "2^(e-k), e the binary exponent of the largest |value|, k = floor((51 - ceil(log2 d)) / 2) "
            "(2^-18 for 15k parameters in [0,1]): squared distances are then exact integers, the same on any machine",
    "energy_distance": "sqrt(2E|X-Y| - E|X-X'| - E|Y-Y'|), Euclidean, V-statistic (scipy's 1-D definition)",
    "mmd_rbf": "biased MMD^2, k(x,y)=exp(-|x-y|^2/(2 bandwidth^2)), bandwidth = median pooled pairwise distance",
    "nearest_train": "distance of each holdout row to its nearest train row (linf exact, l2 on the grid)",
    "ks": "scipy.stats.ks_2samp per parameter, method auto (exact p-value up to 10,000 rows a side where scipy's "
          "exact computation succeeds, else asymptotic: ks_asymptotic counts those parameters)",
    "wasserstein": "scipy.stats.wasserstein_distance per parameter",
    "coverage": "fraction of equal-width bins over [0,1] holding at least one value",
}


def _matrix(x: np.ndarray | Sequence, what: str = "input") -> np.ndarray:
    m = np.asarray(x, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (rows x parameters), got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError(f"{what} contains NaN or infinite values")
    return m


def _pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _matrix(a, "first set"), _matrix(b, "second set")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"sets have {a.shape[1]} and {b.shape[1]} columns")
    if len(a) == 0 or len(b) == 0:
        raise ValueError("both sets need at least one row")
    return a, b


def _grid(*sets: np.ndarray) -> tuple[list[np.ndarray], float]:
    """The rows as integer counts of one grid step h = 2^(e-k) (float64 holding integers), and 1/h.

    e is the binary exponent of the largest |value| (0 < |v| <= 2^e; 0 for values in (0.5, 1]) and
    k = floor((51 - ceil(log2 d)) / 2), so |count| <= 2^k and every dot product, norm and squared distance of
    two rows is an integer below 2^53: BLAS's float64 Gram matrix is then exact whatever its summation order,
    threads or CPU, and the figures are the same on any machine (2^-18 for 15k parameters in [0, 1])."""
    d = sets[0].shape[1]
    top = max((float(np.abs(m).max()) for m in sets if m.size), default=0.0)
    k = (51 - math.ceil(math.log2(max(d, 1)))) // 2
    mantissa, e = math.frexp(top) if top > 0 else (0.5, 1)
    scale = math.ldexp(1.0, k - (e - 1 if mantissa == 0.5 else e))  # 2^(e-1) = top exactly: e-1 bounds it
    return [np.rint(m * scale) for m in sets], scale


def _sq_blocks(p: np.ndarray, q: np.ndarray):
    """Exact squared distances (in grid steps) of p's rows to q's rows, as blocks of rows of bounded memory."""
    pn, qn = np.einsum("ij,ij->i", p, p), np.einsum("ij,ij->i", q, q)
    step = max(1, _BLOCK_ELEMS // max(1, len(q)))
    for i in range(0, len(p), step):
        yield (pn[i : i + step, None] + qn[None, :]) - 2.0 * (p[i : i + step] @ q.T)


def _pair_means(p: np.ndarray, q: np.ndarray, fs: Sequence[Callable[[np.ndarray], np.ndarray]]) -> list[float]:
    """For each f, the mean of f(squared grid distance) over all pairs (self-pairs included)."""
    partial: list[list[float]] = [[] for _ in fs]
    for d2 in _sq_blocks(p, q):
        for acc, f in zip(partial, fs, strict=True):
            acc.append(float(f(d2).sum()))
    return [math.fsum(acc) / (len(p) * len(q)) for acc in partial]


def _clamp(stat: float, scale: float) -> float:
    return 0.0 if stat <= _REL_ZERO * scale else stat


def _median_steps(pooled: np.ndarray) -> float:
    """Median pairwise distance of grid rows (at most _MEDIAN_MAX_ROWS evenly spaced), in grid steps; the median
    of the positive ones if that is 0; 0.0 if all rows coincide."""
    if len(pooled) > _MEDIAN_MAX_ROWS:
        pooled = pooled[np.linspace(0, len(pooled) - 1, _MEDIAN_MAX_ROWS).round().astype(np.intp)]
    if len(pooled) < 2 or pooled.shape[1] == 0:
        return 0.0
    dist = np.sqrt(np.vstack(list(_sq_blocks(pooled, pooled)))[np.triu_indices(len(pooled), 1)])
    med = float(np.median(dist))
    if med > 0:
        return med
    positive = dist[dist > 0]
    return float(np.median(positive)) if positive.size else 0.0


def set_distances(a, b) -> tuple[float, float, float]:
    """(energy distance, MMD^2, bandwidth) of two sets of rows, on the rows rounded to `_grid` (one pass over the
    pairs for both). Energy: sqrt(2E|X-Y| - E|X-X'| - E|Y-Y'|), Euclidean, all pairs (V-statistic), 0 for equal
    multisets; for 1 column scipy's energy_distance of the grid values. MMD^2: biased (V-statistic), RBF kernel
    exp(-|x-y|^2 / (2 bandwidth^2)), bandwidth = `median_bandwidth`; >= 0, 0 for equal multisets; bandwidth 0.0
    means every pooled row is the same point (MMD^2 is then 0). O(n m d) in BLAS, blocks of bounded memory."""
    a, b = _pair(a, b)
    if a.shape[1] == 0:
        return 0.0, 0.0, 0.0
    (ga, gb), scale = _grid(a, b)
    steps = _median_steps(np.vstack([ga, gb]))
    gamma = 1.0 / (2.0 * steps**2) if steps else 0.0  # per squared grid step
    fs = (np.sqrt, lambda d2: np.exp(-gamma * d2))
    (xy, kxy), (xx, kxx), (yy, kyy) = (_pair_means(p, q, fs) for p, q in ((ga, gb), (ga, ga), (gb, gb)))
    energy = math.sqrt(_clamp(2 * xy - xx - yy, xy) / scale)  # the statistic is in grid steps
    mmd2 = _clamp(kxx + kyy - 2 * kxy, 1.0) if steps else 0.0  # kernel values are <= 1: the scale is 1
    return energy, mmd2, steps / scale


def energy_distance(a, b) -> float:
    """The energy distance of `set_distances`."""
    return set_distances(a, b)[0]


def median_bandwidth(pooled: np.ndarray) -> float:
    """Median pairwise Euclidean distance of the rows rounded to `_grid` (at most _MEDIAN_MAX_ROWS evenly spaced
    rows); if that median is 0 (mostly duplicates) the median of the positive distances; 0.0 if all rows
    coincide."""
    pooled = _matrix(pooled, "pooled rows")
    if pooled.shape[1] == 0:
        return 0.0
    (grid,), scale = _grid(pooled)
    return _median_steps(grid) / scale


def mmd_rbf(a, b) -> tuple[float, float]:
    """(MMD^2, bandwidth) of `set_distances`."""
    return set_distances(a, b)[1:]


def _ecdf_gaps(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, (the raw two-sample KS statistic max|F_a - F_b| as ks_2samp computes it before its
    exact-mode rounding, the Wasserstein-1 distance = integral of |F_a - F_b|), all columns at once.

    Each column's pooled values are sorted; the running count of `a` rows gives F_a and F_b at every
    pooled value. Under ties F is read at the last of the tied values (searchsorted side='right'), so
    the KS extremes look at tie-group ends only; the Wasserstein integrand vanishes inside a tie group
    (zero width). The arithmetic (count / n, difference, dot product with the gaps) is scipy's, term
    for term, so the figures are scipy's to the last bit; columns are taken in blocks of bounded memory.
    """
    n1, n2 = len(a), len(b)
    total = n1 + n2
    ks, w = np.empty(a.shape[1]), np.empty(a.shape[1])
    step = max(1, _BLOCK_ELEMS // total)
    for j in range(0, a.shape[1], step):
        pooled = np.concatenate([a[:, j : j + step], b[:, j : j + step]]).T  # rows contiguous: one column each
        order = np.argsort(pooled, axis=1, kind="stable")
        values = np.take_along_axis(pooled, order, axis=1)
        below_a = np.cumsum(order < n1, axis=1)
        gap = below_a / n1 - (np.arange(1, total + 1) - below_a) / n2
        end = np.ones(values.shape, dtype=bool)
        end[:, :-1] = values[:, 1:] != values[:, :-1]
        high = np.where(end, gap, -np.inf).max(axis=1)
        low = np.clip(-np.where(end, gap, np.inf).min(axis=1), 0, 1)
        ks[j : j + step] = np.where(low > high, low, high)
        w[j : j + step] = _vecdot(np.abs(gap[:, :-1]), np.diff(values, axis=1))
    return ks, w


def per_parameter(a, b, names: Sequence[str]) -> list[dict]:
    """Per column j: {"name", "ks_statistic", "ks_pvalue" (scipy ks_2samp, two-sided, method auto),
    "wasserstein" (scipy wasserstein_distance)}, plus "ks_method": "asymp" where the p-value is asymptotic;
    unrounded floats.

    Vectorized over the columns (`_ecdf_gaps`). ks_2samp's result depends on the sample sizes and the
    raw statistic only, and with fixed sizes few raw statistics are possible, so ks_2samp itself runs
    once per distinct raw statistic, on a column that has it: the figures are scipy's by construction.
    """
    a, b = _pair(a, b)
    if len(names) != a.shape[1]:
        raise ValueError(f"{len(names)} names for {a.shape[1]} columns")
    raw, wasser = _ecdf_gaps(a, b)
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    ks = [_ks(a[:, j], b[:, j]) for j in first]
    return [
        {"name": name, "ks_statistic": ks[k][0], "ks_pvalue": ks[k][1], "wasserstein": float(w)}
        | ({"ks_method": "asymp"} if ks[k][2] else {})
        for name, k, w in zip(names, inverse.tolist(), wasser, strict=True)
    ]


def _ks(x: np.ndarray, y: np.ndarray) -> tuple[float, float, bool]:
    """(statistic, p-value, asymptotic?) of scipy's ks_2samp. Its 'exact calculation unsuccessful' warning is
    caught: which p-values are asymptotic goes into the report instead of onto the user's stderr."""
    import warnings

    from scipy.stats import ks_2samp  # here: importing scipy.stats costs ~0.4 s a process

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        t = ks_2samp(x, y)
    fell_back = any("asymp" in str(w.message) for w in caught if issubclass(w.category, RuntimeWarning))
    return float(t.statistic), float(t.pvalue), fell_back or max(len(x), len(y)) > 10_000


def nearest_train_distance(train, holdout, metric: Literal["linf", "l2"] = "linf") -> np.ndarray:
    """For each holdout row, its distance to the nearest train row: L-inf exact (cKDTree), Euclidean on the rows
    rounded to `_grid` (exact integer squared distances from BLAS; a KD-tree is brute force at 15k columns)."""
    train, holdout = _matrix(train, "train"), _matrix(holdout, "holdout")
    if metric not in ("linf", "l2"):
        raise ValueError(f"metric must be 'linf' or 'l2', got {metric!r}")
    if train.shape[1] != holdout.shape[1]:
        raise ValueError(f"train has {train.shape[1]} columns, holdout {holdout.shape[1]}")
    if len(train) == 0:
        raise ValueError("no train rows to measure against")
    if len(holdout) == 0:
        return np.zeros(0)
    if train.shape[1] == 0:  # every vector of R^0 is the same point
        return np.zeros(len(holdout))
    if metric == "l2":
        (gt, gh), scale = _grid(train, holdout)
        return np.sqrt(np.concatenate([d2.min(axis=1) for d2 in _sq_blocks(gh, gt)])) / scale
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(train).query(holdout, k=1, p=math.inf)
    return np.asarray(dist, dtype=np.float64)


def summary(d: np.ndarray) -> dict[str, float | None]:
    """{"min", "median", "max"} of `d` as floats; all None when `d` is empty."""
    d = np.asarray(d, dtype=np.float64)
    if d.size == 0:
        return {"min": None, "median": None, "max": None}
    return {"min": float(d.min()), "median": float(np.median(d)), "max": float(d.max())}


def coverage(x, bins: int = 10) -> list[float]:
    """Per column, the fraction of `bins` equal-width bins over [0,1] that hold at least one value.
    Value v goes to bin floor(v * bins), and 1.0 to the last bin. Values outside [0,1] -> ValueError.
    A set with no rows covers 0.0 of every column."""
    x = _matrix(x, "values")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    if ((x < 0) | (x > 1)).any():
        raise ValueError("coverage needs values normalized to [0, 1]")
    idx = np.minimum((x * bins).astype(np.intp), bins - 1)
    held = np.zeros((x.shape[1], bins), dtype=bool)
    held[np.arange(x.shape[1]), idx] = True  # broadcasts over the rows: one fancy-index write
    return (held.sum(axis=1) / bins).tolist()


def _round(v: float | None) -> float | None:
    """6 significant digits; None for undefined or non-finite; -0.0 folded into 0.0."""
    if v is None or not math.isfinite(v):
        return None
    return float(f"{v:.{SIG_DIGITS}g}") + 0.0


def _round_tree(obj):
    if isinstance(obj, dict):
        return {k: _round_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round_tree(v) for v in obj]
    if isinstance(obj, float):
        return _round(obj)
    return obj


def _round_rows(rows: list[dict]) -> list[dict]:
    """`_round_tree` of a table, each distinct float rounded once: per-parameter figures repeat (a KS statistic
    and p-value take few values at fixed sample sizes, coverage fractions are tenths)."""
    memo: dict[float, float | None] = {}

    def one(v):
        if not isinstance(v, float):
            return _round_tree(v)
        if v not in memo:
            memo[v] = _round(v)
        return memo[v]

    return [{k: one(v) for k, v in row.items()} for row in rows]


def distance_report(train, holdout, names: Sequence[str], bins: int = 10) -> dict:
    """All of the above as a JSON-able dict, floats rounded to 6 significant digits:

    {"n_train", "n_holdout", "n_parameters", "method": METHOD, "coverage_bins",
     "energy_distance", "mmd_rbf": {"mmd2", "bandwidth"},
     "nearest_train": {"linf": {min, median, max}, "l2": {...}}, "ks_asymptotic": count,
     "parameters": [{"name", "ks_statistic", "ks_pvalue", "wasserstein", ["ks_method": "asymp",]
                     "coverage_train", "coverage_holdout"}, ...]}

    null marks what is undefined: every two-sample value when a split has no rows, nearest_train when
    either split is empty, mmd bandwidth when all rows coincide (mmd2 is then 0). With 0 columns
    the distances are 0 and "parameters" is [].
    """
    train, holdout = _matrix(train, "train"), _matrix(holdout, "holdout")
    d = train.shape[1]
    if holdout.shape[1] != d or len(names) != d:
        raise ValueError(f"train has {d} columns, holdout {holdout.shape[1]}, names {len(names)}")
    both = len(train) > 0 and len(holdout) > 0
    energy, mmd2, bandwidth = None, None, None
    params = [{"name": n, "ks_statistic": None, "ks_pvalue": None, "wasserstein": None} for n in names]
    nearest = {m: summary(np.zeros(0)) for m in ("linf", "l2")}
    if both:
        energy, mmd2, bandwidth = set_distances(train, holdout)
        bandwidth = bandwidth or None
        params = per_parameter(train, holdout, names)
        nearest = {m: summary(nearest_train_distance(train, holdout, m)) for m in ("linf", "l2")}
    cov_train, cov_holdout = coverage(train, bins), coverage(holdout, bins)
    for p, ct, ch in zip(params, cov_train, cov_holdout, strict=False):
        p["coverage_train"], p["coverage_holdout"] = ct, ch
    report = {
        "n_train": len(train),
        "n_holdout": len(holdout),
        "n_parameters": d,
        "method": METHOD,
        "coverage_bins": bins,
        "energy_distance": energy,
        "mmd_rbf": {"mmd2": mmd2, "bandwidth": bandwidth},
        "nearest_train": nearest,
        "ks_asymptotic": sum(1 for p in params if "ks_method" in p),
    }
    return _round_tree(report) | {"parameters": _round_rows(params)}
