"""`distribution: empirical`: draws from real measurements (the config's `reference:` file), smoothed.

The smoothed bootstrap is a Gaussian kernel density estimate sampled exactly: one uniform u picks measurement
k = floor(u * n) and its remainder v = u * n - k (itself uniform in [0, 1)) the kernel's deviate, so
value = x_k + h * ndtri(v), clipped to the split's declared [low, high]. One uniform per draw, like every other
distribution, so the same u always gives the same value and verify re-derives it.

Bandwidth h: Silverman's rule of thumb, h = 0.9 * min(std, IQR / 1.34) * n ** (-1/5) (std with ddof=1); when the
measurements have no spread (one value, or all equal) h = 1 % of the declared range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDWIDTH_RULE = "silverman: 0.9 * min(std, IQR / 1.34) * n^(-1/5), else 1% of the range"
_EDGE = 1e-12  # v kept inside (0, 1): ndtri(0) is -inf


@dataclass(frozen=True, eq=False)
class Empirical:
    """One parameter's measurements (sorted) and kernel bandwidth."""

    values: np.ndarray
    bandwidth: float


def bandwidth(values: np.ndarray, low: float, high: float) -> float:
    x = np.asarray(values, dtype=np.float64)
    if len(x) > 1:
        q75, q25 = np.percentile(x, [75, 25])
        spread = min(float(np.std(x, ddof=1)), float(q75 - q25) / 1.34) or float(np.std(x, ddof=1))
        if spread > 0:
            return 0.9 * spread * len(x) ** -0.2
    return 0.01 * (high - low)


def fit(values, low: float, high: float) -> Empirical:
    x = np.sort(np.asarray(values, dtype=np.float64))
    return Empirical(x, bandwidth(x, low, high))


def draw(e: Empirical, low: float, high: float, u: np.ndarray) -> np.ndarray:
    """Values for uniform draws u in [0, 1): a measurement plus a Gaussian kernel deviate, clipped to [low, high]."""
    from scipy.special import ndtri  # here: scipy.special costs ~0.3-1 s to import; only `empirical` uses it

    u = np.asarray(u, dtype=np.float64)
    n = len(e.values)
    scaled = u * n
    k = np.minimum(np.floor(scaled).astype(np.int64), n - 1)
    v = np.clip(scaled - k, _EDGE, 1.0 - _EDGE)
    return np.clip(e.values[k] + e.bandwidth * ndtri(v), low, high)
