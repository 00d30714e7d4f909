"""What twinsplit knows about a stage, as plain picklable data (no USD handles)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TwinsplitError
from .selectors import Selector, path_matches


@dataclass(frozen=True)
class AttrInfo:
    """An attribute's Sdf value type name and its current (composed, default-time) value as plain Python."""

    type_name: str
    value: Any
    authored: bool


@dataclass(frozen=True)
class Region:
    """A named region: an oriented box in world space (stage units)."""

    path: str
    kind: str
    center: tuple[float, float, float]
    rotation: tuple[tuple[float, ...], ...]  # 3x3, columns are the box axes
    half_extents: tuple[float, float, float]

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        r = np.asarray(self.rotation)
        half = np.abs(r) @ np.asarray(self.half_extents)
        c = np.asarray(self.center)
        return c - half, c + half


@dataclass
class PrimInfo:
    path: str
    type_name: str
    schemas: tuple[str, ...]
    labels: tuple[str, ...] = ()
    attrs: dict[str, AttrInfo] = field(default_factory=dict)
    world: tuple[tuple[float, ...], ...] | None = None  # 4x4 row-major, USD row-vector convention
    is_material: bool = False
    is_light: bool = False
    is_body: bool = False
    is_kinematic: bool = False
    is_collider: bool = False


@dataclass
class SceneInfo:
    """What twinsplit needs to know about a stage, as plain data (picklable, no USD handles)."""

    root: str
    meters_per_unit: float
    kilograms_per_unit: float
    up_axis: str
    default_prim: str | None
    start_time: float | None
    end_time: float | None
    time_codes_per_second: float
    prims: dict[str, PrimInfo]
    regions: dict[str, Region]
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] | None
    floor_height: float | None
    # derived data read lazily from the stage file by the blocks that need it (collision shapes, xform ops,
    # joints; see shapes.py, xforms.py, joints.py): plain picklable values, so workers get it with the scene.
    cache: dict = field(default_factory=dict, repr=False, compare=False)
    # the open stage the scan read (scene.xforms.stage_of hands it out instead of composing the file again); a live
    # USD object, so never pickled: a worker reopens the stage from `root` when it needs it.
    stage: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "stage": None}

    @property
    def up_index(self) -> int:
        return 1 if self.up_axis == "Y" else 2

    @property
    def materials(self) -> list[str]:
        return [p for p, i in self.prims.items() if i.is_material]

    @property
    def lights(self) -> list[str]:
        return [p for p, i in self.prims.items() if i.is_light]

    @property
    def bodies(self) -> list[str]:
        return [p for p, i in self.prims.items() if i.is_body]

    @property
    def colliders(self) -> list[str]:
        return [p for p, i in self.prims.items() if i.is_collider]

    def match(self, selector: Selector, *, default_api: str | None = None, kinds: tuple[str, ...] = ()) -> list[str]:
        """Prim paths matched by `selector`, in stage order. `kinds` restricts to discovered roles."""
        out = []
        for path, info in self.prims.items():
            if kinds and not any(getattr(info, f"is_{k}") for k in kinds):
                continue
            if selector.paths and not path_matches(path, selector.paths):
                continue
            if selector.exclude and path_matches(path, selector.exclude):
                continue
            apis = selector.api or ([default_api] if default_api else [])
            if apis and not any(a in info.schemas for a in apis):
                continue
            if selector.types and info.type_name not in selector.types:
                continue
            if selector.labels and not any(label in info.labels for label in selector.labels):
                continue
            out.append(path)
        return out

    def require(self, selector: Selector, where: str, **kw: Any) -> list[str]:
        """Like match, but a selector that matches nothing is an error naming it."""
        found = self.match(selector, **kw)
        if not found:
            raise TwinsplitError(f"{where}: {selector.describe()} matched no prim in {Path(self.root).name}")
        return found

    def find_regions(self, refs: str | list[str], where: str) -> list[Region]:
        """The one region resolver: regions matching any ref (a region prim path, a path glob with `*`/`**` as in
        selectors, or a region kind), in stage order, each once; a ref that matches nothing is an error naming
        `where`, the ref and the known regions."""
        out: list[Region] = []
        for ref in [refs] if isinstance(refs, str) else refs:
            found = [r for p, r in self.regions.items()
                     if p == ref or r.kind == ref or (ref.startswith("/") and path_matches(p, [ref]))]
            if not found:
                known = ", ".join(sorted({r.kind for r in self.regions.values()} | set(self.regions))) or "none"
                raise TwinsplitError(f"{where}: region {ref!r} does not exist in {Path(self.root).name} "
                                     f"(known: {known})")
            out += [r for r in found if r not in out]
        return out
