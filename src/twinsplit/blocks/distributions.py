"""Parameter distributions: config models and vectorized inverse-CDF sampling.

Every distribution maps a uniform draw u in [0, 1) to a value, so one `rng.random(d)` call samples a whole
variant's parameters at once, and the same u always gives the same value (verify re-derives it).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..base import Strict

DistKind = Literal["uniform", "loguniform", "normal", "choice", "empirical"]


Operation = Literal["abs", "scale", "add"]


class Range(Strict):
    """One split's range of a distribution. Unset fields inherit from the parameter's own."""

    low: float | None = Field(None, description="Lower bound (inclusive). Default: inherit.")
    high: float | None = Field(None, description="Upper bound. Default: inherit.")
    mean: float | None = Field(None, description="Mean of `normal`. Default: inherit, else the midpoint of low/high.")
    std: float | None = Field(None, description="Standard deviation of `normal`. Default: inherit, else (high-low)/4.")
    choices: list[float | int | str | bool] | None = Field(None, description="Values of `choice`. Default: inherit.")
    weights: list[float] | None = Field(None, description="Weights of `choice` (normalized). Default: inherit unless "
                                                          "`choices` is overridden, else equal.")


class Dist(Range):
    """A parameter's distribution; `train`/`holdout` narrow or move it for one split (e.g. a holdout-only range)."""

    distribution: DistKind = Field("uniform",
                                   description="uniform | loguniform | normal (truncated to low/high) | choice | "
                                               "empirical (the config's reference: measurements, smoothed, clipped "
                                               "to low/high; blocks/empirical.py). Default: uniform.")
    operation: Operation = Field("abs", description="abs: value = draw; scale: value = authored * draw; add: value = "
                                                    "authored + draw. Default: abs.")
    train: Range | None = Field(None, description="Override for the train split only. Default: none.")
    holdout: Range | None = Field(None, description="Override for the holdout split only. Default: none.")

    @model_validator(mode="after")
    def _check(self) -> "Dist":
        for split in ("train", "holdout"):
            resolve(self, split)  # raises ValueError with the problem named
        return self


class Resolved(BaseModel):
    """A distribution with one split's overrides applied and every bound filled in."""

    model_config = ConfigDict(frozen=True)
    distribution: DistKind
    low: float = 0.0
    high: float = 1.0
    mean: float = 0.0
    std: float = 1.0
    choices: tuple = ()
    weights: tuple = ()


def _finite(name: str, value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


def resolve(dist: Dist, split: str) -> Resolved:
    """The distribution one split draws from; raises ValueError naming an inverted, NaN or empty range."""
    over = getattr(dist, split)
    pick = lambda f: getattr(over, f) if over is not None and getattr(over, f) is not None else getattr(dist, f)  # noqa: E731
    low, high, mean, std = pick("low"), pick("high"), pick("mean"), pick("std")
    choices, weights = pick("choices"), pick("weights")
    if over is not None and over.choices is not None and over.weights is None:
        weights = None  # new choices: the parameter's weights were given for other choices; equal weights
    where = f"{split} range"
    for name, value in (("low", low), ("high", high), ("mean", mean), ("std", std)):
        _finite(f"{where}: {name}", value)
    if dist.distribution == "choice":
        if not choices:
            raise ValueError(f"{where}: `choice` needs a non-empty `choices` list")
        if weights is not None:
            if len(weights) != len(choices):
                raise ValueError(f"{where}: {len(weights)} weights for {len(choices)} choices")
            if any((not math.isfinite(w)) or w < 0 for w in weights) or sum(weights) <= 0:
                raise ValueError(f"{where}: weights must be finite, >= 0 and not all 0")
        w = np.asarray(weights if weights is not None else [1.0] * len(choices), dtype=float)
        return Resolved(distribution="choice", choices=tuple(choices), weights=tuple((w / w.sum()).tolist()),
                        low=0.0, high=float(max(len(choices) - 1, 1)))
    if low is None or high is None:
        raise ValueError(f"{where}: `{dist.distribution}` needs both low and high")
    if not low < high:
        raise ValueError(f"{where}: low ({low}) must be less than high ({high})")
    if dist.distribution == "loguniform" and low <= 0:
        raise ValueError(f"{where}: loguniform needs low > 0, got {low}")
    if dist.distribution == "normal":
        mean = (low + high) / 2 if mean is None else mean
        std = (high - low) / 4 if std is None else std
        if std <= 0:
            raise ValueError(f"{where}: std must be > 0, got {std}")
        return Resolved(distribution="normal", low=low, high=high, mean=mean, std=std)
    return Resolved(distribution=dist.distribution, low=low, high=high)


def inverse_cdf(r: Resolved, u: np.ndarray) -> np.ndarray:
    """Map uniform draws u in [0, 1) to values of `r` (float64; choice gives the chosen index)."""
    u = np.asarray(u, dtype=np.float64)
    if r.distribution == "uniform":
        return r.low + u * (r.high - r.low)
    if r.distribution == "loguniform":
        return np.exp(np.log(r.low) + u * (np.log(r.high) - np.log(r.low)))
    if r.distribution == "normal":  # truncated to [low, high] by inverting the CDF between the bounds
        from scipy.special import ndtr, ndtri  # here: scipy.special costs ~0.3-1 s to import; only `normal` uses it

        a, b = ndtr((r.low - r.mean) / r.std), ndtr((r.high - r.mean) / r.std)
        x = r.mean + r.std * ndtri(a + u * (b - a))
        return np.clip(x, r.low, r.high)
    if r.distribution == "empirical":
        raise ValueError("`empirical` draws from the config's reference: measurements, which this parameter lacks")
    cumulative = np.cumsum(r.weights)
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(r.choices) - 1).astype(np.float64)


def envelope(dist: Dist) -> tuple[float, float]:
    """The range that normalizes this parameter to [0, 1]: the union of both splits' ranges."""
    a, b = resolve(dist, "train"), resolve(dist, "holdout")
    if dist.distribution == "choice":
        if a.choices != b.choices:
            # Per-split choices are normalized over the union, indexed in order of first appearance.
            return 0.0, float(max(len(union_choices(dist)) - 1, 1))
        return a.low, a.high
    return min(a.low, b.low), max(a.high, b.high)


def union_choices(dist: Dist) -> tuple:
    seen: list = []
    for split in ("train", "holdout"):
        for c in resolve(dist, split).choices:
            if c not in seen:
                seen.append(c)
    return tuple(seen)
