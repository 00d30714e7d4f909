"""Which parameters and event kinds explain a metric: a univariate screen over all of them, then a tree model.

1. Univariate, every feature: Spearman's rho between the feature and the per-variant metric, with a permutation
   p-value (the metric permuted PERMUTATIONS times; one matrix product per block of features) and a
   family-wise one (max-|rho| over all features per permutation, Westfall-Young): with 15,000 parameters a raw
   p of 0.001 is expected by chance alone.
2. Multivariate, the TOP_K features with the largest |rho| plus every event kind: scikit-learn's
   HistGradientBoostingRegressor (it takes the NaN of a block a split never draws as missing) and
   `sklearn.inspection.permutation_importance`, on a quarter of the variants held out of the fit when there are
   enough of them. A tree over 15,000 columns of 1,000 rows would cost minutes and mostly fit noise.
3. For each ranked feature, where the metric drops: the run of quantile bins around the worst one whose mean
   is below the overall mean, as a value range.
"""

from __future__ import annotations

import numpy as np

from .bootstrap import rng

PERMUTATIONS = 999
TOP_K = 50
BINS = 5
HOLDOUT_FRACTION = 0.25
MIN_HELD_OUT = 60  # fewer variants: the model is fit and scored on all of them (said in the output)
BLOCK = 2048  # features per matrix product in the permutation test


def _ranks(x: np.ndarray) -> np.ndarray:
    from scipy.stats import rankdata

    return rankdata(x, axis=0)


def _standard(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns centred and scaled to unit norm; and which columns vary at all."""
    z = z - z.mean(axis=0)
    norm = np.sqrt((z * z).sum(axis=0))
    varies = norm > 1e-12 * max(1.0, float(norm.max(initial=0.0)))
    return np.where(varies, z / np.where(varies, norm, 1.0), 0.0), varies


def univariate(x: np.ndarray, y: np.ndarray, permutations: int = PERMUTATIONS) -> dict[str, np.ndarray]:
    """Per column of x (n, d): rho, p_value, p_adjusted (NaN for a column without variation). Columns are grouped by
    which rows they have (NaN: a holdout-only block in train rows), each group ranked on its own rows."""
    n, d = x.shape
    rho = np.full(d, np.nan)
    exceed = np.zeros(d)
    max_null = np.zeros(permutations)
    finite = np.isfinite(x)
    patterns, which = np.unique(np.packbits(finite, axis=0), axis=1, return_inverse=True)
    for g in range(patterns.shape[1]):
        cols = np.flatnonzero(which.ravel() == g)
        rows = np.flatnonzero(finite[:, cols[0]])
        if len(rows) < 3:
            continue
        zy, y_varies = _standard(_ranks(y[rows])[:, None])
        if not y_varies[0]:
            continue
        null_y = rng(f"permutation {g}").permuted(np.tile(zy[:, 0], (permutations, 1)), axis=1).T.astype(np.float32)
        for start in range(0, len(cols), BLOCK):
            c = cols[start:start + BLOCK]
            z, varies = _standard(_ranks(x[np.ix_(rows, c)]))
            r = z.T @ zy[:, 0]
            null = np.abs(z.T.astype(np.float32) @ null_y)  # (features, permutations)
            observed = np.abs(r)[:, None] - 1e-9  # equal within rounding counts as exceeding
            exceed[c] = (null >= observed).sum(axis=1)
            max_null = np.maximum(max_null, np.where(varies[:, None], null, 0).max(axis=0, initial=0.0))
            rho[c] = np.where(varies, r, np.nan)
    ok = np.isfinite(rho)
    p = np.where(ok, (1 + exceed) / (1 + permutations), np.nan)
    p_adj = np.full(d, np.nan)
    if ok.any():
        sorted_max = np.sort(max_null)
        above = len(sorted_max) - np.searchsorted(sorted_max, np.abs(rho[ok]) - 1e-9, side="left")
        p_adj[ok] = (1 + above) / (1 + permutations)
    return {"rho": rho, "p_value": p, "p_adjusted": p_adj}


def drop_range(v: np.ndarray, y: np.ndarray) -> dict | None:
    """Where the metric drops along one feature: contiguous quantile bins (or the distinct values, when few)
    around the lowest-mean bin whose means are below the overall mean. None when no bin is below it."""
    ok = np.isfinite(v)
    v, y = v[ok], y[ok]
    if len(v) < 2:
        return None
    distinct = np.unique(v)
    if len(distinct) <= BINS:
        edges = distinct
        bin_of = np.searchsorted(distinct, v)
    else:
        edges = np.unique(np.quantile(v, np.linspace(0, 1, BINS + 1)))
        bin_of = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    count = np.bincount(bin_of)
    means = np.bincount(bin_of, weights=y) / np.maximum(count, 1)
    means[count == 0] = np.inf
    overall = float(y.mean())
    worst = int(np.argmin(means))
    if not means[worst] < overall:
        return None
    lo = hi = worst
    while lo > 0 and means[lo - 1] < overall:
        lo -= 1
    while hi < len(means) - 1 and means[hi + 1] < overall:
        hi += 1
    inside = (bin_of >= lo) & (bin_of <= hi)
    return {"low": float(v[inside].min()), "high": float(v[inside].max()), "mean_inside": float(y[inside].mean()),
            "mean_outside": float(y[~inside].mean()) if (~inside).any() else None, "variants_inside": int(inside.sum())}


def _seed(label: str) -> int:
    return int(rng(label).integers(0, 2**31 - 1))


def multivariate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """(importance mean, std per column, model facts) from a gradient-boosted tree's permutation importance."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.inspection import permutation_importance

    n = len(y)
    order = rng("model split").permutation(n)
    held = int(round(n * HOLDOUT_FRACTION)) if n >= MIN_HELD_OUT else 0
    fit, score = (order[held:], order[:held]) if held else (order, order)
    model = HistGradientBoostingRegressor(max_iter=150, learning_rate=0.1, max_leaf_nodes=15,
                                          min_samples_leaf=max(2, min(20, len(fit) // 10)), early_stopping=False,
                                          random_state=_seed("model"))
    model.fit(x[fit], y[fit])
    imp = permutation_importance(model, x[score], y[score], n_repeats=10, random_state=_seed("importance"), n_jobs=1)
    facts = {"model": "HistGradientBoostingRegressor", "features": int(x.shape[1]),
             "fit_variants": int(len(fit)), "scored_on": "held-out variants" if held else "the fitted variants",
             "scored_variants": int(len(score)), "r2": float(model.score(x[score], y[score]))}
    return imp.importances_mean, imp.importances_std, facts


def attribute(names: list[str], kinds: list[str], values: np.ndarray, has_kind: np.ndarray, y: np.ndarray,
              top_k: int = TOP_K) -> tuple[list[dict], dict]:
    """The ranked attribution over the variants with a metric (rows of values/has_kind match y): most important
    first, by permutation importance, then |rho|."""
    x = np.hstack([values, has_kind.astype(np.float64)])
    labels = names + [f"events.{k}" for k in kinds]
    kind_of = ["parameter"] * len(names) + ["event"] * len(kinds)
    uni = univariate(x, y)
    rho = uni["rho"]
    screened = np.flatnonzero(np.isfinite(rho[:len(names)]))
    top = screened[np.argsort(-np.abs(rho[screened]), kind="stable")[:top_k]]
    events = [len(names) + j for j in range(len(kinds)) if np.isfinite(rho[len(names) + j])]
    chosen = np.array(list(top) + events, dtype=np.int64)
    facts = {"variants": int(len(y)), "features": int(x.shape[1]), "varying": int(np.isfinite(rho).sum()),
             "permutations": PERMUTATIONS, "top_k": top_k}
    if len(chosen) == 0 or len(y) < 4 or np.ptp(y) == 0:
        facts["model"] = None
        return [], facts
    mean, std, facts["model"] = multivariate(x[:, chosen], y)
    order = sorted(range(len(chosen)), key=lambda i: (-mean[i], -abs(rho[chosen[i]]), int(chosen[i])))
    out = []
    for i in order:
        c = int(chosen[i])
        out.append({"parameter": labels[c], "kind": kind_of[c], "importance": float(mean[i]),
                    "importance_std": float(std[i]), "rho": float(rho[c]), "p_value": float(uni["p_value"][c]),
                    "p_adjusted": float(uni["p_adjusted"][c]), "variants": int(np.isfinite(x[:, c]).sum()),
                    "drop": drop_range(x[:, c], y)})
    return out, facts
