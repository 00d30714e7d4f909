"""Means with 95 % bootstrap intervals, and gaps between two groups, deterministic for the same input.

The variant is the unit: a variant's episodes share its conditions, so they are averaged first and the
bootstrap resamples variants (resampling episodes would treat correlated episodes as independent and give
intervals too narrow). Each group draws from its own stream, `SeedSequence(ENTROPY, spawn_key=(crc32(label),))`,
so adding a region or a kind leaves every other interval as it was.
"""

from __future__ import annotations

import zlib

import numpy as np

ENTROPY = 0x7457_5350_4C49_5453  # fixed: a score is a function of its inputs alone
RESAMPLES = 2000
LEVEL = 0.95


def rng(label: str) -> np.random.Generator:
    """The stream of one named use (a group's bootstrap, the permutation test, the tree model)."""
    seq = np.random.SeedSequence(ENTROPY, spawn_key=(zlib.crc32(label.encode()),))
    return np.random.Generator(np.random.PCG64(seq))


def per_variant(rows: np.ndarray, y: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean over its episodes, episodes) per variant, NaN rows left out; a variant without rows: NaN, 0."""
    ok = np.isfinite(y)
    count = np.bincount(rows[ok], minlength=n)
    total = np.bincount(rows[ok], weights=y[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), count


def resampled_means(values: np.ndarray, label: str, resamples: int = RESAMPLES) -> np.ndarray:
    """(resamples,) means of `values` resampled with replacement (empty input: NaN)."""
    if len(values) == 0:
        return np.full(resamples, np.nan)
    idx = rng(label).integers(0, len(values), size=(resamples, len(values)))
    return values[idx].mean(axis=1)


def _interval(draws: np.ndarray) -> list[float | None]:
    if not np.isfinite(draws).all():
        return [None, None]
    a = (1 - LEVEL) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    return [float(lo), float(hi)]


def group(values: np.ndarray, episodes: np.ndarray, label: str) -> tuple[dict, np.ndarray]:
    """({variants, episodes, mean, ci95}, the resampled means) of the per-variant means of one group."""
    draws = resampled_means(values, label)
    mean = float(values.mean()) if len(values) else None
    return {"variants": int(len(values)), "episodes": int(episodes.sum()), "mean": mean,
            "ci95": _interval(draws)}, draws


def gap(a: tuple[dict, np.ndarray], b: tuple[dict, np.ndarray]) -> dict:
    """b's mean minus a's (train -> holdout: holdout minus train; a drop is negative), with the interval of the
    difference of the two groups' independent bootstraps."""
    (sa, da), (sb, db) = a, b
    if sa["mean"] is None or sb["mean"] is None:
        return {"gap": None, "ci95": [None, None]}
    return {"gap": sb["mean"] - sa["mean"], "ci95": _interval(db - da)}
