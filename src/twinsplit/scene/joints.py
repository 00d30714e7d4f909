"""Joints: which dynamic bodies are jointed together, and which are anchored to the world."""

from __future__ import annotations

from collections import defaultdict

from pxr import Usd, UsdPhysics

from .xforms import (
    stage_of,
)


def _joint_body(stage: Usd.Stage, rel: Usd.Relationship | None) -> tuple[str | None, bool]:
    """(body, dynamic) a joint side attaches to: the closest rigid body at or above the target; (None, False)
    for the world, a static prim, or a kinematic or disabled body."""
    targets = rel.GetTargets() if rel else []
    prim = stage.GetPrimAtPath(targets[0].GetPrimPath()) if targets else None
    while prim and not prim.IsPseudoRoot():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            rb = UsdPhysics.RigidBodyAPI(prim)
            enabled, kinematic = rb.GetRigidBodyEnabledAttr().Get(), rb.GetKinematicEnabledAttr().Get()
            return str(prim.GetPath()), (enabled is None or bool(enabled)) and not bool(kinematic)
        prim = prim.GetParent()
    return None, False


def joints(scene) -> tuple[dict[str, set[str]], set[str]]:
    """(body -> dynamic bodies jointed to it, dynamic bodies anchored: jointed, directly or through other
    jointed bodies, to the world, a static prim or a kinematic body).  Every enabled joint counts,
    articulated or not, typed or of a schema usd-core does not know (any prim with physics:body0/body1)."""
    if "layout:joints" not in scene.cache:
        stage = stage_of(scene)
        partners: dict[str, set[str]] = defaultdict(set)
        fixed: set[str] = set()
        for prim in stage.Traverse():
            rel0, rel1 = prim.GetRelationship("physics:body0"), prim.GetRelationship("physics:body1")
            if not (prim.IsA(UsdPhysics.Joint) or rel0 or rel1):
                continue
            enabled = prim.GetAttribute("physics:jointEnabled")
            if enabled and enabled.Get() is False:
                continue
            (a, da), (b, db) = _joint_body(stage, rel0), _joint_body(stage, rel1)
            if da and db and a != b:
                partners[a].add(b)
                partners[b].add(a)
            elif da != db:
                fixed.add(a if da else b)
        anchored, todo = set(fixed), list(fixed)
        while todo:
            for o in partners.get(todo.pop(), ()):
                if o not in anchored:
                    anchored.add(o)
                    todo.append(o)
        scene.cache["layout:joints"] = (dict(partners), anchored)
    return scene.cache["layout:joints"]


def _filter_side(stage: Usd.Stage, rel: Usd.Relationship | None) -> str | None:
    """What a joint side's collisions are filtered for: the closest rigid body at or above the target, or the
    target itself when it is a static collider; None for the world (an empty or non-physics target)."""
    targets = rel.GetTargets() if rel else []
    target = stage.GetPrimAtPath(targets[0].GetPrimPath()) if targets else None
    if not target:
        return None
    prim = target
    while prim and not prim.IsPseudoRoot():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            return str(prim.GetPath())
        prim = prim.GetParent()
    return str(target.GetPath()) if target.HasAPI(UsdPhysics.CollisionAPI) else None


class CollisionFilter:
    """Pairs the simulator never collides, by UsdPhysics: the two sides of an enabled joint whose
    `physics:collisionEnabled` is not true (its fallback is false: jointed links do not collide; PhysX and
    Newton filter them), typed or of a schema usd-core does not know; and every pair a PhysicsFilteredPairsAPI
    names (a body, collider or articulation on either side, i.e. everything under those prims)."""

    def __init__(self, stage: Usd.Stage) -> None:
        self.jointed: set[frozenset[str]] = set()
        self.filtered: list[tuple[str, str]] = []
        for prim in stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
            rel0, rel1 = prim.GetRelationship("physics:body0"), prim.GetRelationship("physics:body1")
            if prim.IsA(UsdPhysics.Joint) or rel0 or rel1:
                enabled, collide = prim.GetAttribute("physics:jointEnabled"), prim.GetAttribute(
                    "physics:collisionEnabled")
                if not (enabled and enabled.Get() is False) and not (collide and collide.Get() is True):
                    a, b = _filter_side(stage, rel0), _filter_side(stage, rel1)
                    if a and b and a != b:
                        self.jointed.add(frozenset((a, b)))
            if prim.HasAPI(UsdPhysics.FilteredPairsAPI):
                own = str(prim.GetPath())
                for t in UsdPhysics.FilteredPairsAPI(prim).GetFilteredPairsRel().GetTargets():
                    self.filtered.append((own, str(t.GetPrimPath())))

    def __bool__(self) -> bool:
        return bool(self.jointed or self.filtered)

    def skips(self, a: str, b: str, collider_a: str = "", collider_b: str = "") -> bool:
        """True when the simulator does not collide body (or static collider) `a` with `b`."""
        if frozenset((a, b)) in self.jointed:
            return True
        if not self.filtered:
            return False
        side_a, side_b = [p for p in (a, collider_a) if p], [p for p in (b, collider_b) if p]

        def under(paths: list[str], root: str) -> bool:
            return any(p == root or p.startswith(root.rstrip("/") + "/") for p in paths)

        return any((under(side_a, x) and under(side_b, y)) or (under(side_a, y) and under(side_b, x))
                   for x, y in self.filtered)
