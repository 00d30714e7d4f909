"""verify check `layout`: every variant of a set with a `randomize.layout` block starts as a valid scene.

Reads each variant's composed stage (only when the config has a layout block) and checks, for the
bodies the variant's own layer moves (any authored xformOp / xformOpOrder) against everything else:
no interpenetration beyond 0.1 mm at t = 0 (deeper than the source's own, for a pair that already
overlaps there: jointed links), every moved body inside its block's bounds and clear of the
split's keep-out regions, and a moved body that rested on something in the source still rests on
something.  What moved is read from the variant layer, not from the plan; the source's shapes and
boxes are built once per set.  Shapes, pose time, tolerance and the overlap test are those of validate's
no-interpenetration rule (scene.shapes.read_shapes, geometry.support.interpenetrations).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from pxr import Sdf, Usd

from ...errors import TwinsplitError
from ...geometry.prism import KeepOut
from ...geometry.support import (
    SUPPORT_TOL_M,
    centre_xy,
    interpenetrations,
    over_support,
    overlap_tolerance,
    rests_on,
)
from ...scene.shapes import read_shapes
from ..core import Check, Context, check


def touched_prims(path) -> tuple[set[str], set[str]]:
    """(prims whose transform the layer authors, prims the layer deactivates)."""
    layer = Sdf.Layer.FindOrOpen(str(path))
    if layer is None:
        raise TwinsplitError(f"{path}: not a readable USD layer")
    moved, removed = set(), set()

    def visit(p: Sdf.Path) -> None:
        spec = layer.GetObjectAtPath(p)
        if isinstance(spec, Sdf.PrimSpec):
            if spec.HasInfo("active") and not spec.active:
                removed.add(str(p))
        elif isinstance(spec, Sdf.AttributeSpec) and spec.name.startswith("xformOp"):
            moved.add(str(spec.owner.path))

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    return moved - removed, removed


def _under(path: str, roots: set[str]) -> bool:
    while path:
        if path in roots:
            return True
        path = path.rpartition("/")[0]
    return False


class _Source:
    """Per-set data: source shapes (read as validate reads them), their boxes and the static bodies."""

    def __init__(self, stage: Usd.Stage, tol: float, up: int, support_tol: float) -> None:
        self.shapes = read_shapes(stage)
        plane = tuple(i for i in range(3) if i != up)
        self.rested = {b for b, sup in rests_on(self.shapes, up, plane, support_tol).items() if sup}
        self.lo = np.array([s.aabb()[0] for s in self.shapes]).reshape(-1, 3)
        self.hi = np.array([s.aabb()[1] for s in self.shapes]).reshape(-1, 3)
        self.static = {s.body for s in self.shapes if not s.dynamic}
        self.tol = tol
        self._pairs: dict[tuple[str, str], float] = {}

    def depth(self, a: str, b: str) -> float:
        """How deep bodies a and b interpenetrate in the source (0 if they do not)."""
        if (a, b) not in self._pairs:
            found = interpenetrations([s for s in self.shapes if s.body in (a, b)], self.tol)
            self._pairs[(a, b)] = max((o.depth for o in found), default=0.0)
        return self._pairs[(a, b)]

    def near(self, shapes: list, pad: float) -> np.ndarray:
        """Indices of source shapes whose boxes reach any of `shapes` (padded)."""
        if not shapes or not len(self.shapes):
            return np.zeros(0, dtype=int)
        mlo = np.array([s.aabb()[0] for s in shapes]).min(0) - pad
        mhi = np.array([s.aabb()[1] for s in shapes]).max(0) + pad
        coarse = np.flatnonzero(np.all((self.lo <= mhi) & (self.hi >= mlo), axis=1))
        if len(coarse) == 0:
            return coarse
        blo = np.array([s.aabb()[0] for s in shapes]) - pad
        bhi = np.array([s.aabb()[1] for s in shapes]) + pad
        hit = ((self.lo[coarse][None] <= bhi[:, None])
               & (self.hi[coarse][None] >= blo[:, None])).all(axis=2).any(axis=0)
        return coarse[hit]


def _regions(ctx: Context, scene, blocks: list) -> list[tuple[set[str], Any, dict[str, KeepOut | None]]]:
    """Per layout block: (bodies it may move, bounds prism, split -> keep-out)."""
    from ...randomizers.layout.bound import bound

    out = []
    for i, block in enumerate(blocks):
        b = bound(scene, block, f"randomize.layout[{i}]")
        members = {m for u in b.geo.units for m in u.members}
        keep = {s: KeepOut(b.regions[s], b.extent(), b.geo.tol) if b.regions[s] else None for s in ("train", "holdout")}
        out.append((members, b.bounds, keep))
    return out


def check_variant(vpath, split: str, src: _Source, scene, regions, tol: float, support_tol: float) -> list[str]:
    """Problems of one variant (each names the prims)."""
    moved, removed = touched_prims(vpath)
    if not moved:
        return []
    stage = Usd.Stage.Open(str(vpath), Usd.Stage.LoadAll)
    mine = read_shapes(stage, include=lambda prim: _under(str(prim.GetPath()), moved))
    gone = moved | removed
    near = [src.shapes[k] for k in src.near(mine, tol + support_tol) if not _under(src.shapes[k].path, gone)]
    problems = []
    for o in interpenetrations(mine + near, tol, lambda p: _under(p, moved)):
        # an overlap the source already has (jointed links of an articulation, moved as one) is not the variant's;
        # against static geometry nothing pre-existing is excused
        if o.a not in src.static and o.b not in src.static and o.depth <= src.depth(o.a, o.b) + tol:
            continue
        problems.append(f"{o.a} and {o.b} interpenetrate by {o.depth:.4g} stage units at t = 0")
    by_body: dict[str, list] = defaultdict(list)
    for s in mine:
        by_body[s.body].append(s)
    for members, bounds, keep in regions:
        for body, shapes in by_body.items():
            if body not in members:
                continue
            if bounds is not None and not all(bounds.contains(s, tol) for s in shapes):
                problems.append(f"{body} lies outside the layout bounds ({bounds.path})")
            if keep[split] is not None:
                for s in shapes:
                    if (r := keep[split].hit(s)) is not None:
                        problems.append(f"{body} is inside keep-out region {r} ({split})")
                        break
    up = scene.up_index
    plane = tuple(i for i in range(3) if i != up)
    now = rests_on(mine + near, up, plane, support_tol)
    for body, shapes in by_body.items():
        if body in src.rested and not over_support(centre_xy(shapes, plane), now.get(body, []), plane, up):
            problems.append(f"{body} rested on something in the source and now floats (nothing under its centre)")
    return problems


@check("layout", needs=("config", "plan", "stage"), order=100)
def layout(ctx: Context, c: Check) -> None:
    """With a `randomize.layout` block: every variant starts as a valid scene (no interpenetration at t = 0, moved
    bodies inside their bounds and clear of the split's keep-out regions, a body that rested still rests)."""
    blocks = list(getattr(ctx.config.randomize, "layout", None) or [])
    if not blocks:
        c.skip("no layout block")
        return
    scene = ctx.plan.scene
    tol = overlap_tolerance(scene.meters_per_unit)
    support_tol = SUPPORT_TOL_M / scene.meters_per_unit
    src = _Source(ctx.stage, tol, scene.up_index, support_tol)
    regions = _regions(ctx, scene, blocks)
    checked = 0
    for v in ctx.variants:
        try:
            vpath = ctx.path(v["path"], v["split"])
        except TwinsplitError:
            continue  # sealed holdout without --holdout: nothing to read
        if not vpath.is_file():
            continue  # reported by `files`
        checked += 1
        for p in check_variant(vpath, v["split"], src, scene, regions, tol, support_tol):
            # check_variant's messages each start with the prim path of the body they are about
            c.fail(p, file=v["path"], prim=p.split(" ", 1)[0] if p.startswith("/") else None)
    c.detail = f"{checked} variants: no overlap, bounds and keep-out hold" if c.ok else f"{checked} variants checked"
