"""`reference: FILE`: real measurements (CSV `parameter,value`) the splits are compared with and `distribution:
empirical` draws from.

A CSV row names a parameter by its manifest name (`/World/Floor.physics:staticFriction`) or by its config key
(`static_friction`: every parameter of that key). Distances are the two-sample Kolmogorov-Smirnov statistic (with
its p-value) and the 1-D Wasserstein distance (scipy.stats.ks_2samp, wasserstein_distance) between a split's
draws of the parameter, in the parameter's own units (the drawn value, before scale/add), and the measurements.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..blocks import empirical as emp
from ..blocks.data import ParamSpec
from ..errors import InputError
from ..scene.info import SceneInfo
from .bind import Block

if TYPE_CHECKING:
    from ..config import Config

REFERENCE_DIR = "reference"


def parse(data: bytes, name: str) -> dict[str, np.ndarray]:
    """{parameter: measurements} from CSV bytes with a `parameter,value` header; a bad row is an error naming it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"reference {name}: not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows, [])]
    if header[:2] != ["parameter", "value"]:
        raise InputError(f"reference {name}: the first row must be the header `parameter,value`, got {header}")
    out: dict[str, list[float]] = {}
    for line, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise InputError(f"reference {name}: line {line}: expected `parameter,value`, got {row}")
        try:
            value = float(row[1])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise InputError(f"reference {name}: line {line}: value {row[1]!r} is not a finite number")
        out.setdefault(row[0].strip(), []).append(value)
    if not out:
        raise InputError(f"reference {name}: no measurements")
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def source_path(config: Config) -> Path:
    p = Path(config.reference)
    return p if p.is_absolute() or config._base is None else config._base / p


def read(config: Config) -> tuple[bytes, dict[str, np.ndarray]] | None:
    """The reference file's bytes and measurements (None without `reference:`)."""
    if config.reference is None:
        return None
    path = source_path(config)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read reference {config.reference}: {exc.strerror}") from None
    return data, parse(data, Path(config.reference).name)


def measurements(config: Config) -> dict[str, np.ndarray] | None:
    if config.reference is None:
        return None
    if config._measurements is None:
        config._measurements = read(config)[1]
    return config._measurements


def _of(found: dict[str, np.ndarray], p: ParamSpec) -> np.ndarray | None:
    x = found.get(p.name)
    return found.get(p.key) if x is None else x


def attach(scene: SceneInfo, config: Config, blocks: list[Block]) -> list[Block]:
    """Blocks whose `distribution: empirical` parameters carry their measurements; such a parameter without any,
    or in a block kind that draws its values itself rather than through ParamSpec.draw (layout), is an error
    naming it."""
    found = measurements(config) or {}
    if stray := unmeasured([p for b in blocks for p in b.params], found):
        raise InputError(f"reference {Path(config.reference).name}: {', '.join(repr(k) for k in stray[:5])} "
                         "names no parameter (use the manifest's parameter names or the config keys)")
    out = []
    for b in blocks:
        if not any(p.dist.distribution == "empirical" for p in b.params):
            out.append(b)
            continue
        params = []
        for p in b.params:
            if p.dist.distribution == "empirical":
                x = _of(found, p)
                if x is None:
                    raise InputError(f"{p.source}: {p.name} has distribution empirical but the config's "
                                         f"reference: gives no measurements of it (by name or as {p.key!r})")
                lo, hi = p.normalize_range
                p = replace(p, empirical=emp.fit(x, lo, hi))
            params.append(p)
        b = replace(b, params=tuple(params))
        try:  # one throwaway draw: a kind that inverts the distribution itself cannot take `empirical`
            b.entry.sample(scene, b.cfg, list(b.params), "train", np.random.Generator(np.random.PCG64(0)))
        except ValueError as exc:
            if "empirical" not in str(exc):
                raise
            raise InputError(f"{b.source}: distribution empirical is not supported by {b.name} (it draws its "
                             "values itself); use it in physics_materials, lighting or an event's own "
                             "parameters") from None
        out.append(b)
    return out


def distances(params: list[ParamSpec], draws: dict[str, np.ndarray], found: dict[str, np.ndarray]
              ) -> dict[str, Any]:
    """{parameter name: {measurements, <split>: {ks, ks_pvalue, wasserstein, n}}} for every parameter the reference
    measures (choice parameters excluded: their draws are indices)."""
    from scipy.stats import ks_2samp, wasserstein_distance

    out: dict[str, Any] = {}
    for j, p in enumerate(params):
        x = _of(found, p)
        if x is None or p.dist.distribution == "choice":
            continue
        entry: dict[str, Any] = {"measurements": len(x), "key": p.key}
        for split, rows in draws.items():
            col = rows[:, j]
            col = col[np.isfinite(col)]
            if len(col) == 0:
                continue
            ks = ks_2samp(col, x)
            entry[split] = {"ks": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
                            "wasserstein": float(wasserstein_distance(col, x)), "n": len(col)}
        out[p.name] = entry
    return out


def unmeasured(params: list[ParamSpec], found: dict[str, np.ndarray]) -> list[str]:
    """Reference rows naming no parameter of the plan."""
    known = {p.name for p in params} | {p.key for p in params}
    return sorted(k for k in found if k not in known)


def in_set(config: Config) -> tuple[Config, str, bytes] | None:
    """generate: the config recording the reference by its copy's path inside OUT (never the user's own path),
    the measurements already read; with that path and the file's bytes. None without `reference:`."""
    if config.reference is None:
        return None
    data, found = read(config)
    rel = f"{REFERENCE_DIR}/{Path(config.reference).name}"
    moved = config.model_copy(update={"reference": rel})
    moved._measurements, moved._reference_bytes = found, data
    return moved, rel, data


def manifest_entry(config: Config, params: list[ParamSpec], draws: dict[str, np.ndarray], sha256: str
                   ) -> dict[str, Any]:
    """The manifest's `reference`: the copied file, its hash, what is drawn from it and each split's distances."""
    found = measurements(config)
    return {"path": config.reference, "sha256": sha256, "parameters": sorted(found),
            "empirical": sorted({p.name for p in params if p.empirical is not None}),
            "bandwidth": emp.BANDWIDTH_RULE, "distances": distances(params, draws, found)}
