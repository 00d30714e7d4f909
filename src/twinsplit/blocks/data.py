"""Parameters and edits: the data that flows from block kinds through the plan to the writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from . import empirical as emp
from .distributions import Dist, envelope, inverse_cdf, resolve, union_choices
from .quantize import quantize

_PER_DIST: dict[tuple[int, str], tuple[Dist, Any]] = {}


def _per_dist(dist: Dist, what: str, fn) -> Any:
    """fn(dist), once per Dist object (thousands of parameters share one: a layout block's per-body offsets, and
    pydantic models are slow to resolve); keyed by identity, the Dist kept alive beside its entry so the id is never
    reused."""
    hit = _PER_DIST.get((id(dist), what))
    if hit is None or hit[0] is not dist:
        if len(_PER_DIST) > 4096:
            _PER_DIST.clear()
        hit = _PER_DIST[(id(dist), what)] = (dist, fn(dist))
    return hit[1]


def _resolved(dist: Dist) -> dict[str, Any]:
    """Both splits' resolved distributions."""
    return _per_dist(dist, "resolved", lambda d: {split: resolve(d, split) for split in ("train", "holdout")})


@dataclass(frozen=True)
class ParamSpec:
    """One scalar random parameter: where it is written, how it is drawn and how it is normalized."""

    name: str               # "<prim>.<attr>" or "<prim>.<attr>[k]" for one component of a vector attribute
    prim: str
    attr: str
    type_name: str          # Sdf value type of the attribute it is written to
    source: str             # "<randomizer or event>:<block index>"
    key: str                # the config key it came from, e.g. "static_friction"
    dist: Dist
    component: int | None = None
    base: Any = None        # authored value, for scale/add operations
    unit_scale: float = 1.0  # config units -> stage units (abs/add only)
    stays: float | None = None  # a value the column holds when nothing was drawn (layout: 0, a unit left in place)
    # `distribution: empirical`: the measurements it draws from (plan/reference.py attaches them)
    empirical: emp.Empirical | None = field(default=None, compare=False, hash=False)

    # Resolved once per parameter (pydantic models are slow to build): sampling asks for them per variant.
    @cached_property
    def _resolved(self) -> dict[str, Any]:
        return _resolved(self.dist)

    def resolved(self, split: str):
        return self._resolved[split]

    @cached_property
    def normalize_range(self) -> tuple[float, float]:
        lo, hi = _per_dist(self.dist, "envelope", envelope)
        if self.stays is not None:  # a value recorded besides the distribution's (layout: a unit left in place)
            lo, hi = min(lo, self.stays), max(hi, self.stays)
        return lo, hi

    @cached_property
    def _union(self) -> tuple:
        return _per_dist(self.dist, "union", union_choices)

    @cached_property
    def _choice_luts(self) -> dict[str, np.ndarray]:
        return {s: np.array([self._union.index(c) for c in r.choices], dtype=np.float64)
                for s, r in self._resolved.items()}

    def draw(self, split: str, u: np.ndarray) -> np.ndarray:
        """Draws in the parameter's own space (choice: index into the union of both splits' choices)."""
        if self.empirical is not None:
            r = self.resolved(split)
            return emp.draw(self.empirical, r.low, r.high, u)
        x = inverse_cdf(self.resolved(split), u)
        if self.dist.distribution == "choice":
            return self._choice_luts[split][x.astype(int)]
        return x

    def value(self, draw: float) -> Any:
        """The value written to USD for one draw, already quantized to the attribute's precision."""
        if self.dist.distribution == "choice":
            v = self._union[int(draw)]
            return quantize(v, self.type_name) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        base = self.base
        if self.component is not None and base is not None:
            base = base[self.component]
        if self.dist.operation == "scale":
            v = float(base if base is not None else 0.0) * draw
        elif self.dist.operation == "add":
            v = float(base if base is not None else 0.0) + draw * self.unit_scale
        else:
            v = draw * self.unit_scale
        return quantize(v, self.type_name)


@dataclass(frozen=True)
class PrimDef:
    """A prim the variant creates (events): `def <type_name>` with applied schemas."""

    type_name: str
    api_schemas: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class Edit:
    """One thing a variant layer authors: an attribute value (default or time samples), or a new prim."""

    path: str
    attr: str | None = None
    type_name: str = ""
    value: Any = None
    time_samples: tuple[tuple[float, Any], ...] | None = None
    prim_def: PrimDef | None = None
    variability_uniform: bool = False
    custom: bool = False  # True for attributes no schema declares (e.g. twinsplit:alarm:active)
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.path}.{self.attr}" if self.attr else self.path


@dataclass(frozen=True, eq=False)
class Columns:
    """The defaults of the same numeric attributes on many prims at once, as arrays: prim ``paths[i]`` authors
    ``attrs[j] = values[j][i]``. A layout variant moves thousands of bodies; one Edit per attribute would cost
    more than placing them. ``values[j]`` is (n,) for a scalar type, (n, k) for a vector or quaternion (real
    first), already rounded to the attribute's type and held as float64. Same meaning as `edits()`."""

    paths: tuple[str, ...]
    attrs: tuple[str, ...]
    type_names: tuple[str, ...]
    values: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if not (len(self.attrs) == len(self.type_names) == len(self.values)) or len(set(self.attrs)) != len(
                self.attrs):
            raise ValueError("Columns: one type and one value array per distinct attribute")
        if any(len(v) != len(self.paths) for v in self.values):
            raise ValueError("Columns: one value row per prim")

    def __len__(self) -> int:
        return len(self.paths)

    @cached_property
    def keys(self) -> list[str]:
        """"<prim>.<attr>" of every value, prim by prim."""
        return [f"{p}.{a}" for p in self.paths for a in self.attrs]

    def edits(self) -> list[Edit]:
        """The same values as one Edit per attribute, prim by prim (what any other consumer reads)."""
        cols = [v.tolist() if v.ndim == 1 else list(map(tuple, v.tolist())) for v in self.values]
        return [Edit(path=p, attr=a, type_name=t, value=col[i]) for i, p in enumerate(self.paths)
                for a, t, col in zip(self.attrs, self.type_names, cols, strict=True)]


def expand(items: list[Edit | Columns]) -> list[Edit]:
    """Edits and Columns -> Edits, in order."""
    out: list[Edit] = []
    for e in items:
        if type(e) is Columns:
            out += e.edits()
        else:
            out.append(e)
    return out
