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
