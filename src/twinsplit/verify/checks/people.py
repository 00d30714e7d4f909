"""verify: no person sample lies inside a collider at its time, nor closer to another person than their radii —
read from the written variant layers (composed with their source in USD), not from the plan that made them."""

from __future__ import annotations

import numpy as np

from ...events.common import KIND_ATTR, events_root
from ...events.person import NAME as PERSON
from ...geometry import OverlapIndex, Shape
from ...geometry.support import overlap_tolerance
from ..core import Check, Context, check


def _bodies(stage, root: str):
    """(person prims, other event bodies) under the events scope of a composed variant stage."""
    from pxr import UsdPhysics

    people, others = [], []
    scope = stage.GetPrimAtPath(root)
    for prim in ([] if not scope else scope.GetAllChildren()):
        for p in [prim, *prim.GetAllChildren()]:
            if not p.HasAPI(UsdPhysics.CollisionAPI):
                continue
            kind = p.GetAttribute(KIND_ATTR).Get() if p.GetAttribute(KIND_ATTR) else None
            (people if kind == PERSON else others).append(p)
    return people, others


def _on(prim, t: float) -> bool:
    return bool(prim.GetAttribute("physics:collisionEnabled").Get(t))


def _translate(prim, t) -> np.ndarray:
    return np.asarray(prim.GetAttribute("xformOp:translate").Get(t), dtype=float)


def variant_findings(path, root: str, tol: float) -> tuple[int, list[tuple[str, str]]]:
    """(person samples checked, (prim, message) for each sample inside a collider or too near another person)."""
    from pxr import Usd, UsdGeom

    from ...scene.colliders import shapes_from_stage

    stage = Usd.Stage.Open(str(path))
    scope = root + "/"
    fixed = OverlapIndex([s for s in shapes_from_stage(stage, include=lambda p: not str(p.GetPath()).startswith(
        scope))], tolerance=tol)
    people, others = _bodies(stage, root)
    # an event body's collision shapes at its default (parked) place, moved with its translate at a time
    parked = {str(p.GetPath()): (shapes_from_stage(stage, time=_first_on(p), include=[str(p.GetPath())]),
                                 _translate(p, _first_on(p))) for p in others}
    n, out = 0, []
    radius = {str(p.GetPath()): UsdGeom.Capsule(p).GetRadiusAttr().Get() for p in people}
    half = {str(p.GetPath()): UsdGeom.Capsule(p).GetHeightAttr().Get() / 2 for p in people}
    up = np.zeros(3)
    up["XYZ".index(UsdGeom.GetStageUpAxis(stage))] = 1.0
    plane = [i for i in range(3) if up[i] == 0]
    for p in people:
        path_p = str(p.GetPath())
        for t in p.GetAttribute("xformOp:translate").GetTimeSamples():
            if not _on(p, t):
                continue
            n += 1
            centre = _translate(p, t)
            me = Shape(path_p, "capsule", centre, radius=radius[path_p], half_height=half[path_p], axis=up,
                       dynamic=True)
            hit = fixed.collides(me)
            for o in others:
                if hit is None and _on(o, t):
                    shapes, at = parked[str(o.GetPath())]
                    delta = np.eye(4)
                    delta[3, :3] = _translate(o, t) - at
                    if OverlapIndex([s.transformed(delta) for s in shapes], tolerance=tol).collides(me):
                        hit = str(o.GetPath())
            if hit is not None:
                out.append((path_p, f"at time code {t:g} lies inside {hit}"))
            for q in people:
                path_q = str(q.GetPath())
                if path_q != path_p and _on(q, t):
                    d = float(np.linalg.norm((_translate(q, t) - centre)[plane]))
                    if d < radius[path_p] + radius[path_q] - tol:
                        out.append((path_p, f"at time code {t:g} is {d:.3g} from {path_q}, closer than their radii"))
    return n, out


def _first_on(prim) -> float:
    samples = prim.GetAttribute("physics:collisionEnabled").GetTimeSamples()
    return next((t for t in samples if _on(prim, t)), samples[0] if samples else 0.0)


@check("people clear", needs=("plan",), order=92)
def people_clear(ctx: Context, c: Check) -> None:
    """Every person's time sample, read from the written layer over its source: the capsule is inside no collider
    (the source's, where this variant's layout put them, and every event body switched on at that time) and no
    closer to another person on the site than their two radii."""
    body = ctx.manifest.get("config", {}).get("body", {})
    if PERSON not in (body.get("events") or {}):
        c.skip("no person events")
        return
    samples = layers = 0
    for v in ctx.variants:
        if ctx.root_of(v["split"]) is None or not any(e.get("kind") == PERSON for e in v.get("events", [])):
            continue
        scene = ctx.plan.scene_of(v["split"])  # a holdout drawn on a holdout source: that stage
        tol, root = overlap_tolerance(scene.meters_per_unit), events_root(scene)
        path = ctx.path(v["path"], v["split"])
        if not path.is_file():
            continue
        n, found = variant_findings(path, root, tol)
        samples, layers = samples + n, layers + 1
        for prim, message in found:
            c.fail(f"{prim} {message}", file=v["path"], prim=prim)
    c.detail = f"{samples} person samples in {layers} layers clear of colliders and of each other"
