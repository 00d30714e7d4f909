"""Randomizer registry: one entry per config block under `randomize:`.

A randomizer never writes files and the writer never draws numbers: a randomizer declares parameters
(`params`), draws one variant's values from that variant's own Generator (`sample`), and says how those
values become USD edits (`edits`). All three are pure functions of their inputs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..params import Edit, ParamSpec
from ..scene import SceneInfo
from ..selectors import Selector

ParamsFn = Callable[[SceneInfo, Any, str], list[ParamSpec]]
SampleFn = Callable[[SceneInfo, Any, list[ParamSpec], str, np.random.Generator], np.ndarray]
EditsFn = Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], list[Edit]]
SelectorsFn = Callable[[Any], list[tuple[str, Selector, dict]]]


def sample_independent(scene: SceneInfo, block: Any, params: list[ParamSpec], split: str,
                       rng: np.random.Generator) -> np.ndarray:
    """Draws for one variant: one uniform per parameter from the variant's stream, then each inverse CDF.

    Parameters sharing one distribution (one config key over many prims) go through it in one vectorized
    call; the inverse CDFs are elementwise, so the values are those of one call per parameter."""
    u = rng.random(len(params))
    out = np.empty(len(params), dtype=np.float64)
    groups: dict[int, list[int]] = {}
    for i, p in enumerate(params):
        groups.setdefault(id(p.dist), []).append(i)
    for idx in groups.values():
        out[idx] = params[idx[0]].draw(split, u[idx])
    return out


def attribute_edits(scene: SceneInfo, block: Any, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    """One edit per attribute; vector components drawn separately are joined back into one value."""
    grouped: dict[tuple[str, str], list] = {}
    types: dict[tuple[str, str], str] = {}
    for p, d in zip(params, draws, strict=False):
        key = (p.prim, p.attr)
        types[key] = p.type_name
        value = p.value(float(d))
        if p.component is None:
            grouped[key] = value
        else:
            current = grouped.setdefault(key, list(p.base) if p.base is not None else [0.0, 0.0, 0.0])
            current[p.component] = value
    return [Edit(path=k[0], attr=k[1], type_name=types[k], value=tuple(v) if isinstance(v, list) else v)
            for k, v in grouped.items()]


@dataclass(frozen=True)
class Randomizer:
    name: str
    config_model: type[BaseModel]
    params: ParamsFn
    selectors: SelectorsFn
    sample: SampleFn = sample_independent
    edits: EditsFn = attribute_edits
    starter: Callable[[SceneInfo], str | None] | None = None  # commented YAML block for `twinsplit init`
    metadata: Callable[[SceneInfo, Any], dict[str, Any]] | None = None  # stage metadata the block needs
    doc: str = ""


class Registry(dict[str, Randomizer]):
    """Entries by name, filled by the builtin modules of one package when first asked for."""

    def __init__(self, what: str, package: str, builtin: list[str]) -> None:
        super().__init__()
        self.what, self.package, self.builtin = what, package, builtin

    def register(self, entry: Randomizer) -> Randomizer:
        if entry.name in self:
            raise ValueError(f"{self.what} {entry.name!r} registered twice")
        self[entry.name] = entry
        return entry

    def load_builtin(self) -> "Registry":
        for module in self.builtin:
            importlib.import_module(f"{self.package}.{module}")
        return self


REGISTRY = Registry("randomizer", __name__, ["physics", "lighting", "layout"])
register = REGISTRY.register
load_builtin = REGISTRY.load_builtin
