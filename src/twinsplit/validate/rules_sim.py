"""Rules for what a simulation does in its first steps, checked statically: bodies that start resting on nothing
fall, and switched bodies (events) that are not out of the way at the default time hit what is there.
`twinsplit simcheck` checks the same by stepping Newton; these need no simulator."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .engine import Context
from .issues import Issue, Severity
from .registry import Rule, rule

SWITCH_ATTRS = ("physics:collisionEnabled", "visibility")


def _sampled(prim, name: str) -> bool:
    return bool((a := prim.GetAttribute(name)) and a.GetNumTimeSamples())


def _physical(prim) -> bool:
    """The prim or something under it collides or is a rigid body."""
    from pxr import Usd, UsdPhysics

    return any(p.HasAPI(UsdPhysics.CollisionAPI) or p.HasAPI(UsdPhysics.RigidBodyAPI)
               for p in Usd.PrimRange(prim, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)))


def _switched(prim) -> bool:
    """A body switched on and off by time samples (an event body): its collisionEnabled is animated, or its
    visibility is and it collides. A visual prim whose visibility is animated (a recorded MuJoCo or Blender
    playback, a blinking sign) is no body: nothing in a simulation meets it, whatever an importer reads."""
    return _sampled(prim, SWITCH_ATTRS[0]) or (_sampled(prim, SWITCH_ATTRS[1]) and _physical(prim))


def _site_box(stage, default_time_cache):
    """World box (Gf.Range3d) at the default time of every collider that is not switched: what a parked body
    must stay clear of."""
    from pxr import Gf, Usd, UsdPhysics

    box = Gf.Range3d()
    for prim in stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
        if prim.HasAPI(UsdPhysics.CollisionAPI) and not _switched(prim):
            box.UnionWith(default_time_cache.ComputeWorldBound(prim).ComputeAlignedRange())
    return box


@rule("events-parked", "time", Severity.ERROR, on_delta=True)
class EventsParked(Rule):
    """A body switched on and off by time samples (`physics:collisionEnabled`, or `visibility` on a collider or
    rigid body, as twinsplit's event bodies are) is out of the way at the default time, which importers that play
    no samples read: not collidable, invisible, and parked clear of the box of every other collider (twinsplit
    parks it 1 m below the stage's bounds). Engines do not reliably honour an animated collisionEnabled, so the
    pose must do it too."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import Usd, UsdGeom

        from ..geometry.support import overlap_tolerance

        default = Usd.TimeCode.Default()
        switched = [p for p in ctx.prims() if _switched(p)]
        if not switched:
            return
        cache = UsdGeom.BBoxCache(default, [UsdGeom.Tokens.default_, UsdGeom.Tokens.render, UsdGeom.Tokens.proxy])
        site_stage = ctx.source if ctx.delta and ctx.source is not None else ctx.stage
        shared = ctx.shared if site_stage is ctx.source else ctx.cache
        if "site_box" not in shared:
            shared["site_box"] = _site_box(site_stage, UsdGeom.BBoxCache(default, cache.GetIncludedPurposes()))
        site = shared["site_box"]
        tol = overlap_tolerance(UsdGeom.GetStageMetersPerUnit(ctx.stage))
        for prim in switched:
            enabled = prim.GetAttribute("physics:collisionEnabled")
            if enabled and enabled.Get(default) is not False:
                yield self.issue(ctx, f"{prim.GetPath()} is collidable at the default time", prim,
                                 attribute="physics:collisionEnabled",
                                 suggestion="author physics:collisionEnabled = 0 as its default (its state before)")
            if prim.IsA(UsdGeom.Imageable) and UsdGeom.Imageable(prim).ComputeVisibility(default) != "invisible":
                yield self.issue(ctx, f"{prim.GetPath()} is visible at the default time", prim, attribute="visibility",
                                 suggestion='author visibility = "invisible" as its default')
            own = cache.ComputeWorldBound(prim).ComputeAlignedRange()
            if own.IsEmpty() or site.IsEmpty():
                continue
            lo, hi, slo, shi = own.GetMin(), own.GetMax(), site.GetMin(), site.GetMax()
            if all(lo[k] < shi[k] - tol and hi[k] > slo[k] + tol for k in range(3)):
                yield self.issue(ctx, f"{prim.GetPath()} is not parked at the default time: its box reaches into the "
                                      "box of the stage's colliders", prim, attribute="xformOp:translate",
                                 suggestion="give its translate a default out of the way (below the stage)")


@rule("resting-support", "physics", Severity.ERROR)
class RestingSupport(Rule):
    """Every dynamic body rests on something at the stage's start time: a static collider or another body under
    it (the support test layout and verify use, geometry.support.rests_on). A body with nothing at all under it
    falls out of the scene the moment the simulation starts (boxes beyond the edge of a floor are lost): an
    error. One hovering over a collider drops onto it: a warning. Jointed bodies are not checked: a joint may
    hold them."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdGeom

        from ..geometry.support import SUPPORT_TOL_M, _aabb, rests_on
        from ..scene.shapes import read_shapes
        from ..scene.time import pose_time

        mpu = UsdGeom.GetStageMetersPerUnit(ctx.stage)
        up = 1 if UsdGeom.GetStageUpAxis(ctx.stage) == "Y" else 2
        plane = [k for k in range(3) if k != up]
        shapes = read_shapes(ctx.stage)
        tol = SUPPORT_TOL_M / mpu
        support = rests_on(shapes, up, tuple(plane), tol)
        floating = sorted(b for b, on in support.items() if not on)
        if not floating:
            return
        from ..scene.discover import scan
        from ..scene.joints import joints

        partners, anchored = joints(scan(ctx.stage))
        when = pose_time(ctx.stage).GetValue()
        lo = np.array([s.aabb()[0] for s in shapes])
        hi = np.array([s.aabb()[1] for s in shapes])
        owner = np.array([s.body or "" for s in shapes], dtype=object)
        for body in floating:
            if body in anchored or partners.get(body):
                continue
            blo, bhi = _aabb([s for s in shapes if s.body == body])
            under = (owner != body) & (hi[:, up] <= blo[up] + tol) & np.all(
                (lo[:, plane] < bhi[plane]) & (hi[:, plane] > blo[plane]), axis=1)
            if under.any():
                gap = float(blo[up] - hi[under, up].max())
                yield self.issue(ctx, f"{body} rests on nothing at time {when:g}: it drops {gap:.4g} stage units "
                                      "when the simulation starts", body, severity=Severity.WARNING,
                                 suggestion="lower it onto what is under it")
            else:
                yield self.issue(ctx, f"{body} rests on nothing at time {when:g} and has nothing under it: it falls "
                                      "out of the scene when the simulation starts", body,
                                 suggestion="place it on a collider (a floor, a shelf, another body)")


@rule("physics-targets", "physics", Severity.ERROR)
class PhysicsTargets(Rule):
    """Every `physics:` relationship (a joint's `physics:body0`/`body1`, a collision group's
    `physics:filteredGroups`, `physics:filteredPairs`, a body's `physics:simulationOwner`) targets a prim that
    exists. A dangling target is read silently and changes what is simulated: a joint to a missing body holds
    its other body to the world, and a collision group filtered against a group that is gone stops colliding
    with what it rests on in engines that read the group (a box falls through its plate)."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        stage = ctx.stage
        for prim in ctx.prims():
            for rel in prim.GetRelationships():
                name = rel.GetName()
                if not name.startswith("physics:"):
                    continue
                for target in rel.GetTargets():
                    if not stage.GetPrimAtPath(target.GetPrimPath()):
                        yield self.issue(ctx, f"{prim.GetPath()}.{name} targets {target}, which does not exist",
                                         prim, attribute=name,
                                         suggestion="point it at the prim that was renamed or moved, or remove "
                                                    "the target")
