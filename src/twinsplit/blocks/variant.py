"""What one variant's blocks leave on the site, for a later block that plans around it (people walking among what
layout moved and what the other events switch on). Plain data: the plan builds it from the variant's own row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geometry.batch import ShapeSet
from .data import ParamSpec


@dataclass(frozen=True)
class Placed:
    """Where a block put bodies in this variant: `moved` the shapes at their new pose (batched sets, one per block
    that moved any: 5,000 bodies are a few arrays, not 5,000 Shape objects), `gone` the paths of the source shapes
    no longer at their source pose (moved or removed)."""

    moved: tuple[ShapeSet, ...] = ()
    gone: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Obstacle:
    """A box an event occupies for a while (stage units, world): a body (`solid`: a bed, a blocker, a barrier) or
    a no-go area (a restricted zone) people must stay out of from `on_s` to `off_s` (None: to the end)."""

    kind: str       # the event kind
    source: str     # its config block
    prim: str       # the event prim (or the zone's region)
    center: np.ndarray
    rotation: np.ndarray  # columns: the box's axes in world space
    size: np.ndarray      # full size along the box's axes
    on_s: float
    off_s: float | None
    solid: bool
    why: str        # e.g. "alarm_reroute closes /World/Regions/Doorway_0"


@dataclass(frozen=True)
class Way:
    """A strip a block asks layout to keep clear in a variant: the polyline `points` (world, stage units) a person
    is meant to walk, `half_width` to each side (and beyond each end). `who` names it in findings and notes."""

    who: str
    points: np.ndarray
    half_width: float

    def prisms(self, up: int) -> list:
        """One oriented box per segment (unbounded along up: geometry.prism), each end grown by half_width."""
        from ..geometry.prism import Prism

        out, pts = [], np.asarray(self.points, dtype=float)
        if len(pts) == 1:
            pts = np.vstack([pts, pts])
        for a, b in zip(pts[:-1], pts[1:], strict=True):
            d = b - a
            d[up] = 0.0
            length = float(np.linalg.norm(d))
            axis = d / length if length > 1e-12 else np.eye(3)[(up + 1) % 3]
            upv = np.eye(3)[up]
            side = np.cross(upv, axis)
            rot = np.stack([axis, side, upv], axis=1)
            half = np.array([length / 2 + self.half_width, self.half_width, self.half_width])
            out.append(Prism(f"the way of {self.who}", (a + b) / 2, rot, half, up))
        return out

    def record(self) -> dict:
        """As the manifest notes it (verify rebuilds the prisms from this)."""
        return {"for": self.who, "way": [[float(c) for c in p] for p in self.points],
                "half_width": float(self.half_width)}

    @classmethod
    def of(cls, record: dict) -> "Way":
        return cls(record["for"], np.asarray(record["way"], dtype=float), float(record["half_width"]))


@dataclass(frozen=True)
class VariantBlock:
    """One block of a variant as the plan drew it."""

    kind: Any       # its BlockKind
    cfg: Any
    params: list[ParamSpec]
    draws: np.ndarray
    source: str


@dataclass(frozen=True)
class Variant:
    """Every block one variant draws (in plan order), with helpers for what they leave on the site."""

    scene: Any
    blocks: tuple[VariantBlock, ...] = field(default_factory=tuple)

    def placed(self) -> Placed:
        moved, gone = [], set()
        for b in self.blocks:
            if b.kind.placed is not None:
                p = b.kind.placed(self.scene, b.cfg, b.params, b.draws)
                moved += p.moved
                gone |= p.gone
        return Placed(tuple(moved), frozenset(gone))

    def obstacles(self) -> list[Obstacle]:
        return [o for b in self.blocks if b.kind.obstacles is not None
                for o in b.kind.obstacles(self.scene, b.cfg, b.params, b.draws)]

    def key(self) -> bytes:
        """The variant's draws as bytes (a cache key for what is derived from them)."""
        return b"|".join(b.source.encode() + np.asarray(b.draws, dtype=np.float64).tobytes() for b in self.blocks)
