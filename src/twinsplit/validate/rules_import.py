"""Rules for what breaks a reference-based import (Isaac Lab's `spawn_from_usd` adds a reference without a prim
path, so only the default prim comes in, read at the default time) — see docs/isaac.md.

Each is a warning: a twin opened as a root stage or sublayered does not need them; `validate --strict` makes
them fail a CI that spawns variants by reference.
"""

from __future__ import annotations

from collections.abc import Iterator

from .engine import Context
from .issues import Issue, Severity
from .registry import Rule, rule

ISAAC_DOC = "see docs/isaac.md"


@rule("default-prim", "import", Severity.WARNING, on_delta=True)
class DefaultPrim(Rule):
    """The root layer names a defaultPrim that exists. A reference without a prim path (how Isaac Lab spawns a
    USD file) brings in the default prim and nothing else: a stage without one spawns nothing. A variant's own
    layer is its root layer, so it must name the default prim too (a source that names none is reported once, on
    the source; a variant's prim is looked up in its source, which the delta-only check does not populate)."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        layer = ctx.stage.GetRootLayer()
        name = layer.defaultPrim
        source = ctx.source if ctx.delta else None
        if not name and source is not None and not source.GetRootLayer().defaultPrim:
            return
        path = f"/{name}" if not name.startswith("/") else name
        if name and (ctx.stage.GetPrimAtPath(path) or (source is not None and source.GetPrimAtPath(path))):
            return
        if not name:
            roots = [p.GetName() for p in ctx.stage.GetPseudoRoot().GetChildren() if p.IsDefined()]
            hint = f' (e.g. defaultPrim = "{roots[0]}")' if len(roots) == 1 else ""
            yield self.issue(ctx, f"{layer.identifier} names no defaultPrim: a reference without a prim path "
                                  "(Isaac Lab's spawn_from_usd) imports nothing",
                             suggestion=f"author defaultPrim on the root layer{hint}; {ISAAC_DOC}")
        else:
            yield self.issue(ctx, f"defaultPrim {name!r} is not a prim of the stage: a reference without a prim "
                                  "path imports nothing", suggestion=f"name an existing root prim; {ISAAC_DOC}")


@rule("outside-default-prim", "import", Severity.WARNING)
class OutsideDefaultPrim(Rule):
    """Nothing the scene needs lies outside the default prim: a reference brings in only the default prim, so
    lights, materials, bodies and colliders that are its siblings are dropped (and bindings to those materials
    dangle). One finding per root prim, naming what it holds."""

    KINDS = (("light", "lights"), ("material", "materials"), ("body", "rigid bodies"), ("collider", "colliders"))

    def applies(self, ctx: Context) -> bool:
        return ctx.stage.GetDefaultPrim().IsValid()

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import Usd, UsdLux, UsdPhysics, UsdShade

        default = ctx.stage.GetDefaultPrim()
        for root in ctx.stage.GetPseudoRoot().GetChildren():
            if root == default or not root.IsDefined() or root.IsAbstract():
                continue
            counts = dict.fromkeys((k for k, _ in self.KINDS), 0)
            for prim in Usd.PrimRange(root, Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)):
                counts["light"] += prim.HasAPI(UsdLux.LightAPI)
                counts["material"] += prim.IsA(UsdShade.Material)
                counts["body"] += prim.HasAPI(UsdPhysics.RigidBodyAPI)
                counts["collider"] += prim.HasAPI(UsdPhysics.CollisionAPI)
            held = [f"{counts[k]} {word}" for k, word in self.KINDS if counts[k]]
            if held:
                yield self.issue(ctx, f"{root.GetPath()} ({', '.join(held)}) lies outside the default prim "
                                      f"{default.GetPath()}: a reference to this file drops it", root,
                                 suggestion=f"move it under {default.GetPath()}; {ISAAC_DOC}")


@rule("time-sampled-default", "import", Severity.WARNING, on_delta=True)
class TimeSampledDefault(Rule):
    """Every time-sampled attribute also has an authored default value. Importers that read the default time and
    play no samples (Newton's, a referencing Isaac Lab spawn) otherwise see the schema fallback: an animated
    body at the stage origin, collidable and visible. twinsplit's events author the state before the event."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import Usd

        default = Usd.TimeCode.Default()
        for prim in ctx.prims():
            for attr in prim.GetAttributes():
                if attr.GetNumTimeSamples() and attr.GetResolveInfo(default).GetSource() != \
                        Usd.ResolveInfoSourceDefault:
                    yield self.issue(ctx, f"{prim.GetPath()}.{attr.GetName()} has time samples but no default "
                                          "value: an importer reading the default time sees "
                                          f"{attr.Get(default)!r}", prim, attribute=attr.GetName(),
                                     suggestion="author a default: its state before the first sample")
