"""The block registries: one entry per block kind under `randomize:` and `events:`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..scene.info import SceneInfo
from ..scene.selectors import Selector
from .attributes import attribute_edits, sample_independent
from .data import Edit, ParamSpec

ParamsFn = Callable[[SceneInfo, Any, str], list[ParamSpec]]


SampleFn = Callable[[SceneInfo, Any, list[ParamSpec], str, np.random.Generator], np.ndarray]


EditsFn = Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], list[Edit]]


SelectorsFn = Callable[[Any], list[tuple[str, Selector, dict]]]


@dataclass(frozen=True)
class LeakSignature:
    """What marks a kind's edits in a variant layer, so verify can find a holdout-only kind in a train layer even
    when its tags are stripped: attributes only this kind authors, and the name prefix of the prims it creates
    under the events scope (`<prefix>_<k>` or `<prefix>_<block>_<k>`)."""

    attrs: tuple[str, ...] = ()
    prim_prefix: str = ""


@dataclass(frozen=True)
class BlockKind:
    name: str
    config_model: type[BaseModel]
    params: ParamsFn
    selectors: SelectorsFn
    sample: SampleFn = sample_independent
    edits: EditsFn = attribute_edits
    starter: Callable[[SceneInfo], str | None] | None = None  # commented YAML block for `twinsplit init`
    metadata: Callable[[SceneInfo, Any], dict[str, Any]] | None = None  # stage metadata the block needs
    doc: str = ""
    leak: LeakSignature | None = None  # events: how verify recognises this kind in a layer


class Registry(dict[str, BlockKind]):
    """Entries by name, filled by the builtin modules of one package when first asked for."""

    def __init__(self, what: str, package: str, builtin: list[str]) -> None:
        super().__init__()
        self.what, self.package, self.builtin = what, package, builtin

    def register(self, entry: BlockKind) -> BlockKind:
        if entry.name in self:
            raise ValueError(f"{self.what} {entry.name!r} registered twice")
        self[entry.name] = entry
        return entry

    def load_builtin(self) -> "Registry":
        for module in self.builtin:
            importlib.import_module(f"{self.package}.{module}")
        return self


RANDOMIZERS = Registry("randomizer", "twinsplit.randomizers", ["physics", "lighting", "layout"])
EVENTS = Registry("event kind", "twinsplit.events", ["person", "obstruction", "alarm", "zone"])
