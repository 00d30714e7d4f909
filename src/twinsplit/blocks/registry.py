"""The block registries: one entry per block kind under `randomize:` and `events:`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from pydantic import BaseModel

from ..errors import TwinsplitError
from ..scene.info import SceneInfo
from ..scene.selectors import Selector
from .attributes import attribute_edits, sample_independent
from .data import Edit, ParamSpec

ParamsFn = Callable[[SceneInfo, Any, str], list[ParamSpec]]


SampleFn = Callable[[SceneInfo, Any, list[ParamSpec], str, np.random.Generator], np.ndarray]


EditsFn = Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], list[Edit]]


SelectorsFn = Callable[[Any], list[tuple[str, Selector, dict]]]

DISTRIBUTION = "twinsplit"  # whose entry points are the built-ins


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
    # what a variant's manifest entry says of this block beyond its values (layout: units left where they were)
    notes: Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], dict[str, Any]] | None = None
    # what this block leaves on the site in a variant, for blocks that plan around it (blocks/variant.py):
    # where it put bodies (layout) and the boxes it occupies for a while (events)
    placed: Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], Any] | None = None
    obstacles: Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray], list] | None = None
    # True: `edits` and `notes` also get `variant=` (blocks.variant.Variant), the variant's every block as drawn
    sees_variant: bool = False
    # what this block asks layout to keep clear of in a variant of a split (people's ways: blocks.variant.Way),
    # from its own draws alone (drawn before the blocks that keep clear: no cycle)
    keep_out: Callable[[SceneInfo, Any, list[ParamSpec], np.ndarray, str], list] | None = None
    # True: `sample` and `notes` also get `keep_out=`, the Ways the variant's other blocks ask to keep clear
    keeps_clear: bool = False


class Registry(dict[str, BlockKind]):
    """Entries by name: the kinds every installed distribution declares under one entry-point group, loaded once
    on first `load()` (twinsplit's own in `builtin` order, then other distributions' by name), followed by kinds
    registered at runtime."""

    def __init__(self, what: str, group: str, builtin: tuple[str, ...]) -> None:
        super().__init__()
        self.what, self.group, self.builtin, self.loaded = what, group, builtin, False

    def register(self, entry: BlockKind) -> BlockKind:
        if not isinstance(entry, BlockKind):
            raise TypeError(f"{self.what} must be a BlockKind, got {type(entry).__name__}")
        if entry.name in self:
            raise ValueError(f"{self.what} {entry.name!r} registered twice")
        self[entry.name] = entry
        return entry

    def load(self) -> "Registry":
        if not self.loaded:
            found = _entry_point_kinds(self.what, self.group, self.builtin)
            runtime = dict(self)  # registered before the first load: keep them after the entry points
            self.clear()
            self.update(found)
            self.loaded = True
            for entry in runtime.values():
                self.register(entry)
        return self


def _dist_name(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "(unknown distribution)"


def _entry_point_kinds(what: str, group: str, builtin: tuple[str, ...]) -> dict[str, BlockKind]:
    eps = list(metadata.entry_points(group=group))
    own = [ep for ep in eps if _dist_name(ep) == DISTRIBUTION]
    if sorted(ep.name for ep in own) != sorted(builtin):
        raise TwinsplitError(f"the installed {DISTRIBUTION} metadata declares {group!r} entry points "
                             f"{sorted(ep.name for ep in own)}, expected {sorted(builtin)}: reinstall it "
                             "(pip install -e .)")
    own.sort(key=lambda ep: builtin.index(ep.name))
    plugins = sorted((ep for ep in eps if _dist_name(ep) != DISTRIBUTION), key=lambda ep: (ep.name, _dist_name(ep)))
    kinds: dict[str, BlockKind] = {}
    owners: dict[str, str] = {}
    for ep in own + plugins:
        where = f"{what} entry point {ep.name!r} ({ep.value}) of distribution {_dist_name(ep)!r}"
        if ep.name in owners:
            raise TwinsplitError(f"{what} {ep.name!r} is declared by two distributions: {owners[ep.name]!r} and "
                                 f"{_dist_name(ep)!r} (uninstall one)")
        try:
            kind = ep.load()
        except Exception as exc:  # a plugin's import can fail any way; name it instead of a traceback
            raise TwinsplitError(f"{where} failed to load: {type(exc).__name__}: {exc}") from None
        if not isinstance(kind, BlockKind):
            raise TwinsplitError(f"{where} is a {type(kind).__name__}, not a twinsplit.blocks.registry.BlockKind")
        if kind.name != ep.name:
            raise TwinsplitError(f"{where} names a BlockKind called {kind.name!r}: the two names must be equal")
        kinds[ep.name], owners[ep.name] = kind, _dist_name(ep)
    return kinds


# The entry-point groups a plugin distribution declares its kinds in (see docs/architecture.md). The built-ins are
# entry points of pyproject.toml too; wheel metadata sorts them by name, so their order is stated here: it is the
# order of the config model's fields, of `twinsplit init`'s sections and of the plan's parameter columns.
RANDOMIZERS = Registry("randomizer", "twinsplit.randomizers", ("physics_materials", "lighting", "layout"))
EVENTS = Registry("event kind", "twinsplit.events",
                  ("person_enters_corridor", "patient_obstructs_path", "alarm_reroute", "zone_access_change"))
