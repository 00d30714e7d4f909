"""twinsplit's own rules: what a physics digital twin needs before variants are generated from it.

Each rule is a small class; the docstring is its description (shown by --list-rules and in docs/ci.md).
Rules marked on_delta also run on each variant, limited to the prims the variant's layer touches.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .engine import Context
from .issues import Issue, Severity
from .registry import Rule, rule

# ---------------------------------------------------------------------------------------------- helpers


def _floats(value: Any) -> np.ndarray | None:
    """Any numeric USD value (scalar, Gf vector/matrix/quaternion, Vt array) as a flat float array."""
    from pxr import Gf

    if isinstance(value, (Gf.Quatf, Gf.Quatd, Gf.Quath)):
        return np.array([value.GetReal(), *value.GetImaginary()], dtype=float)
    try:
        return np.asarray(value, dtype=float).ravel()
    except (TypeError, ValueError):
        return None


def _finite(value: Any) -> bool:
    arr = _floats(value)
    return arr is None or bool(np.isfinite(arr).all())


def _authored(attr) -> Iterator[tuple[str, Any]]:
    """(when, value) for the authored default and every time sample; nothing for an unauthored attribute."""
    from pxr import Usd

    if not attr or not attr.HasAuthoredValue():
        return
    default = attr.Get(Usd.TimeCode.Default())
    if default is not None:
        yield "", default
    for t in attr.GetTimeSamples():
        yield f" at time {t:g}", attr.Get(t)


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


# ---------------------------------------------------------------------------------------------- units


@rule("units-authored", "units", Severity.ERROR, on_delta=True)
class UnitsAuthored(Rule):
    """metersPerUnit, upAxis and kilogramsPerUnit are authored on the root layer. USD silently assumes
    centimetres and Y-up otherwise, and stage metadata is read from the root layer only (a sublayer's
    units do not compose), so a variant's delta layer must repeat the source's units (what its source
    does not author either is reported once, on the source). A missing kilogramsPerUnit is a warning
    (UsdPhysics assumes kilograms)."""

    KEYS = (("metersPerUnit", Severity.ERROR), ("upAxis", Severity.ERROR), ("kilogramsPerUnit", Severity.WARNING))

    def check(self, ctx: Context) -> Iterator[Issue]:
        stage = ctx.stage
        for key, severity in self.KEYS:
            if not stage.HasAuthoredMetadata(key):
                if ctx.delta and ctx.source is not None and not ctx.source.HasAuthoredMetadata(key):
                    continue  # the source lacks it too: its own report names it
                where = "the variant's delta layer" if ctx.delta else "the root layer"
                yield self.issue(ctx, f"{key} is not authored on {where}", attribute=None, severity=severity,
                                 suggestion=f"author {key} in the layer metadata of {stage.GetRootLayer().identifier}")
                continue
            value = stage.GetMetadata(key)
            if key != "upAxis" and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                yield self.issue(ctx, f"{key} = {_num(value)} must be finite and > 0")
            if ctx.delta and ctx.source is not None and ctx.source.HasAuthoredMetadata(key):
                src = ctx.source.GetMetadata(key)
                if src != value:
                    yield self.issue(ctx, f"{key} = {_num(value)} differs from the source's {_num(src)}")


@rule("sublayers-resolve", "composition", Severity.ERROR, on_delta=True)
class SublayersResolve(Rule):
    """Every sublayer of the root layer opens. A variant's delta layer that loses its source (moved or
    renamed) still opens, silently empty; the NVIDIA reference check does not re-run per variant."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import Sdf

        root = ctx.stage.GetRootLayer()
        for sub in root.subLayerPaths:
            if Sdf.Layer.FindOrOpenRelativeToLayer(root, sub) is None:
                yield self.issue(ctx, f"sublayer @{sub}@ of {root.identifier} does not resolve",
                                 suggestion="fix the path, or keep the output directory's source/ next to it")


# ---------------------------------------------------------------------------------------------- physics


@rule("physics-scene", "physics", Severity.ERROR)
class PhysicsScene(Rule):
    """A UsdPhysics.Scene prim exists (gravity and solver settings live there). Only a warning on a stage
    with no rigid bodies or colliders at all."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdPhysics

        physical = False
        for prim in ctx.prims():
            if prim.IsA(UsdPhysics.Scene):
                return
            physical = physical or prim.HasAPI(UsdPhysics.RigidBodyAPI) or prim.HasAPI(UsdPhysics.CollisionAPI)
        yield self.issue(ctx, "the stage has no UsdPhysics.Scene prim",
                         severity=None if physical else Severity.WARNING,
                         suggestion='add `def PhysicsScene "PhysicsScene"` under the default prim')


@rule("collider-material", "physics", Severity.WARNING, on_delta=True)
class ColliderMaterial(Rule):
    """Every collider resolves a physics material: a UsdPhysics.MaterialAPI material bound with the
    `physics` purpose, or failing that the all-purpose binding (UsdPhysics resolves them in that order).
    A collider without one falls back to the simulator's default friction and restitution."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdPhysics, UsdShade

        colliders = [p for p in ctx.prims() if p.HasAPI(UsdPhysics.CollisionAPI)]
        if not colliders:
            return
        materials, rels = UsdShade.MaterialBindingAPI.ComputeBoundMaterials(colliders, "physics")
        for prim, material, rel in zip(colliders, materials, rels, strict=False):
            if not material:
                yield self.issue(ctx, f"collider {prim.GetPath()} has no physics material; the simulator's "
                                      "default is used", prim,
                                 suggestion="bind a material with PhysicsMaterialAPI via material:binding:physics")
            elif not material.GetPrim().HasAPI(UsdPhysics.MaterialAPI):
                own = rel.GetPrim() == prim  # else inherited from an ancestor's binding
                yield self.issue(ctx, f"collider {prim.GetPath()} is bound to {material.GetPath()}"
                                      f"{'' if own else f' (by {rel.GetPath()})'}, which has no PhysicsMaterialAPI; "
                                      "the simulator's default is used", prim,
                                 attribute=rel.GetName() if own else None,
                                 suggestion=f"apply PhysicsMaterialAPI to {material.GetPath()}")


@rule("mass-valid", "physics", Severity.ERROR, on_delta=True)
class MassValid(Rule):
    """MassAPI mass and density are finite and >= 0 where authored, diagonal inertia finite and >= 0, centre
    of mass finite; a physics material's authored density is finite and >= 0. Zero is UsdPhysics' fallback
    and means "not given" (the mass is computed from density or the collider volume), so exporters author it;
    so is a centre of mass of (-inf, -inf, -inf) ("compute it")."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdPhysics

        for prim in ctx.prims():
            attrs = []
            if prim.HasAPI(UsdPhysics.MassAPI):
                api = UsdPhysics.MassAPI(prim)
                attrs = [(api.GetMassAttr(), "nonnegative"), (api.GetDensityAttr(), "nonnegative"),
                         (api.GetDiagonalInertiaAttr(), "nonnegative"), (api.GetCenterOfMassAttr(), "finite")]
            if prim.HasAPI(UsdPhysics.MaterialAPI):
                attrs.append((UsdPhysics.MaterialAPI(prim).GetDensityAttr(), "nonnegative"))
            for attr, need in attrs:
                for when, value in _authored(attr):
                    arr = _floats(value)
                    if arr is None or (need == "finite" and arr.size and bool(np.all(arr == -np.inf))):
                        continue  # (-inf, -inf, -inf): the schema's "not given" centre of mass
                    bad = (not np.isfinite(arr).all()) or (need == "nonnegative" and (arr < 0).any())
                    if bad:
                        want = {"nonnegative": "finite and >= 0"}.get(need, "finite")
                        yield self.issue(ctx, f"{prim.GetPath()}.{attr.GetName()} = {_num(value)}{when} must be "
                                              f"{want}", prim, attribute=attr.GetName())


@rule("material-bounds", "physics", Severity.ERROR, on_delta=True)
class MaterialBounds(Rule):
    """Physics material friction is finite and in [0, 2] (a warning above 1.5, and when dynamic friction
    exceeds static friction); restitution is in [0, 1]."""

    FRICTION_MAX = 2.0
    FRICTION_WARN = 1.5

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdPhysics

        for prim in ctx.prims():
            if not prim.HasAPI(UsdPhysics.MaterialAPI):
                continue
            api = UsdPhysics.MaterialAPI(prim)
            for attr in (api.GetStaticFrictionAttr(), api.GetDynamicFrictionAttr()):
                for when, value in _authored(attr):
                    yield from self._friction(ctx, prim, attr.GetName(), value, when)
            for when, value in _authored(api.GetRestitutionAttr()):
                if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                    yield self.issue(ctx, f"{prim.GetPath()}.physics:restitution = {_num(value)}{when} is outside "
                                          "[0, 1]", prim, attribute="physics:restitution")
            static, dynamic = api.GetStaticFrictionAttr(), api.GetDynamicFrictionAttr()
            if static.HasAuthoredValue() and dynamic.HasAuthoredValue():
                s, d = static.Get(), dynamic.Get()
                if s is not None and d is not None and math.isfinite(s) and math.isfinite(d) and d > s:
                    yield self.issue(ctx, f"{prim.GetPath()}: dynamic friction {d:g} exceeds static friction {s:g}",
                                     prim, attribute="physics:dynamicFriction", severity=Severity.WARNING)

    def _friction(self, ctx: Context, prim, name: str, value: float, when: str) -> Iterator[Issue]:
        where = f"{prim.GetPath()}.{name} = {_num(value)}{when}"
        if not math.isfinite(value) or value < 0 or value > self.FRICTION_MAX:
            yield self.issue(ctx, f"{where} is outside [0, {self.FRICTION_MAX:g}]", prim, attribute=name)
        elif value > self.FRICTION_WARN:
            yield self.issue(ctx, f"{where} is unusually high (> {self.FRICTION_WARN:g})", prim, attribute=name,
                             severity=Severity.WARNING)


# ---------------------------------------------------------------------------------------------- geometry


@rule("xform-finite", "geometry", Severity.ERROR, on_delta=True)
class XformFinite(Rule):
    """No NaN or infinity in any xformOp value (default or time sample) nor in a prim's local-to-world
    matrix (checked at the default time and at the stage's start time)."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import Usd, UsdGeom

        times = [Usd.TimeCode.Default()]
        if ctx.stage.HasAuthoredTimeCodeRange():
            times.append(Usd.TimeCode(ctx.stage.GetStartTimeCode()))
        caches = [UsdGeom.XformCache(t) for t in times]
        for prim in ctx.prims():
            if not prim.IsA(UsdGeom.Xformable):
                continue
            bad_op = False
            for op in UsdGeom.Xformable(prim).GetOrderedXformOps():
                for when, value in _authored(op.GetAttr()):
                    if not _finite(value):
                        bad_op = True
                        yield self.issue(ctx, f"{prim.GetPath()}.{op.GetOpName()}{when} is not finite: {value}",
                                         prim, attribute=op.GetOpName())
                        break
            if bad_op:
                continue  # the world matrix is then bad too; one finding per prim is enough
            for t, cache in zip(times, caches, strict=True):
                if not _finite(cache.GetLocalToWorldTransform(prim)):
                    when = "" if t.IsDefault() else f" at time {t.GetValue():g}"
                    yield self.issue(ctx, f"the local-to-world matrix of {prim.GetPath()}{when} is not finite", prim)
                    break


@rule("no-interpenetration", "geometry", Severity.ERROR, on_delta=True)
class NoInterpenetration(Rule):
    """No two rigid bodies' colliders overlap at the stage's start time by more than 0.1 mm (converted to stage
    units): interpenetrating bodies are pushed apart violently on the first simulation step. Pairs of two static
    or kinematic colliders are not checked, nor pairs the simulator never collides: the two sides of a joint
    whose `physics:collisionEnabled` is not true (adjacent links of a robot usually overlap) and pairs a
    PhysicsFilteredPairsAPI names (scene.joints.CollisionFilter). In a twinsplit output dir a variant is not
    blamed for an overlap its source already has, no deeper (the source's own report names it once). The same
    shapes (cylinders as inscribed prisms, so a wheel resting on a floor is contact), tolerance and overlap test
    as verify's layout check."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdGeom

        from ..geometry.support import interpenetrations, overlap_tolerance
        from ..scene.shapes import read_shapes
        from ..scene.time import pose_time

        tolerance = overlap_tolerance(UsdGeom.GetStageMetersPerUnit(ctx.source if ctx.delta else ctx.stage))
        if ctx.delta and ctx.source is not None:
            mine = [s for s in read_shapes(ctx.stage) if ctx.touched(s.path)]
            shapes = self._near(ctx, mine, tolerance) + mine
        else:
            shapes = read_shapes(ctx.stage)
        when = pose_time(ctx.stage).GetValue()
        already = self._source_depths(ctx, tolerance) if ctx.delta and ctx.source is not None else {}
        site = ctx.source if ctx.delta and ctx.source is not None else ctx.stage
        shared = ctx.shared if site is ctx.source else ctx.cache
        if "collision_filter" not in shared:
            from ..scene.joints import CollisionFilter

            shared["collision_filter"] = CollisionFilter(site)
        never = shared["collision_filter"]
        for o in interpenetrations(shapes, tolerance, ctx.touched):
            if never and never.skips(o.a, o.b, o.collider_a, o.collider_b):
                continue  # jointed or filtered: the simulator does not collide them
            if o.depth <= already.get((o.a, o.b), -1.0) + tolerance:
                continue  # the source has this overlap (a sunk base, jointed links): reported once, on the source
            pair = f"{o.a} and {o.b}"
            if (o.collider_a, o.collider_b) != (o.a, o.b):
                pair += f" (colliders {o.collider_a} and {o.collider_b})"
            yield self.issue(ctx, f"{pair} interpenetrate by {o.depth:.4g} stage units at time {when:g}", o.a,
                             suggestion=f"move {o.a} or {o.b} apart")

    @staticmethod
    def _source_depths(ctx: Context, tolerance: float) -> dict[tuple[str, str], float]:
        """Body pair -> how deep it already interpenetrates in the source (computed once per output dir)."""
        if "source_depths" not in ctx.shared:
            from ..geometry.batch import ShapeSet, body_depths
            from ..scene.shapes import read_shapes

            src = ShapeSet.of(read_shapes(ctx.source))
            ctx.shared["source_depths"] = body_depths(src, src, tolerance)
        return ctx.shared["source_depths"]

    @staticmethod
    def _near(ctx: Context, mine: list, tolerance: float) -> list:
        """Untouched source shapes whose bounding boxes reach a touched one: the only possible partners.
        Source shapes and their boxes are computed once per output dir, so a variant costs O(touched x N)
        numpy comparisons instead of a full overlap pass over the stage."""
        from ..scene.shapes import read_shapes

        if "source_shapes" not in ctx.shared:
            src = read_shapes(ctx.source)
            boxes = [s.aabb() for s in src]
            lo = np.array([b[0] for b in boxes]).reshape(-1, 3)
            hi = np.array([b[1] for b in boxes]).reshape(-1, 3)
            ctx.shared["source_shapes"] = (src, lo, hi)
        src, lo, hi = ctx.shared["source_shapes"]
        if not mine or not src:
            return []
        mlo = np.array([s.aabb()[0] for s in mine]) - tolerance
        mhi = np.array([s.aabb()[1] for s in mine]) + tolerance
        hit = ((lo[None] <= mhi[:, None]) & (hi[None] >= mlo[:, None])).all(axis=2).any(axis=0)
        return [src[k] for k in np.flatnonzero(hit) if not ctx.touched(src[k].path)]


# ---------------------------------------------------------------------------------------------- lighting


@rule("light-intensity", "lighting", Severity.ERROR, on_delta=True)
class LightIntensity(Rule):
    """UsdLux lights have a finite intensity >= 0 and a finite exposure (default and every time sample)."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        from pxr import UsdLux

        for prim in ctx.prims():
            if not prim.HasAPI(UsdLux.LightAPI):
                continue
            api = UsdLux.LightAPI(prim)
            for attr, nonneg in ((api.GetIntensityAttr(), True), (api.GetExposureAttr(), False)):
                for when, value in _authored(attr):
                    if value is None or not math.isfinite(value) or (nonneg and value < 0):
                        need = "finite and >= 0" if nonneg else "finite"
                        yield self.issue(ctx, f"{prim.GetPath()}.{attr.GetName()} = {_num(value)}{when} must be "
                                              f"{need}", prim, attribute=attr.GetName())


# ---------------------------------------------------------------------------------------------- time


def _sampled(prims) -> Iterator[tuple[str, str, list[float]]]:
    for prim in prims:
        for attr in prim.GetAttributes():
            if attr.GetNumTimeSamples():
                yield str(prim.GetPath()), attr.GetName(), attr.GetTimeSamples()


@rule("time-samples-in-range", "time", Severity.ERROR, on_delta=True)
class TimeSamplesInRange(Rule):
    """Every attribute's time samples lie within the stage's [startTimeCode, endTimeCode] (event samples a
    player never reaches are silently lost). A time-sampled stage without an authored start and end is a
    warning; the range is read from the root layer only, so a variant's delta layer must author it."""

    def check(self, ctx: Context) -> Iterator[Issue]:
        stage = ctx.stage
        has_range = stage.HasAuthoredMetadata("startTimeCode") and stage.HasAuthoredMetadata("endTimeCode")
        start, end = stage.GetStartTimeCode(), stage.GetEndTimeCode()
        entries = list(_sampled(ctx.prims()))
        if ctx.delta and ctx.source is not None and self._source_may_escape(ctx, has_range, start, end):
            entries += [e for e in self._source_entries(ctx) if not ctx.touched(e[0])]
        if has_range and end < start:
            yield self.issue(ctx, f"endTimeCode {end:g} is before startTimeCode {start:g}")
            return
        if not has_range:
            if entries:
                path, name, _ = entries[0]
                yield self.issue(ctx, f"the stage has time samples (e.g. {path}.{name}) but no authored "
                                      "startTimeCode/endTimeCode", severity=Severity.WARNING,
                                 suggestion="author startTimeCode and endTimeCode on the root layer")
            return
        for path, name, times in entries:
            outside = [t for t in times if t < start or t > end]
            if outside:
                yield self.issue(ctx, f"{path}.{name} has {len(outside)} time sample(s) outside "
                                      f"[{start:g}, {end:g}] (from {min(outside):g} to {max(outside):g})",
                                 path, attribute=name)

    @staticmethod
    def _source_may_escape(ctx: Context, has_range: bool, start: float, end: float) -> bool:
        """Untouched source samples were already checked against the source's range; they can only fall
        outside the variant's if the variant's range is narrower (or missing)."""
        src = ctx.source
        if not (src.HasAuthoredMetadata("startTimeCode") and src.HasAuthoredMetadata("endTimeCode")):
            return True
        return not has_range or start > src.GetStartTimeCode() or end < src.GetEndTimeCode()

    @staticmethod
    def _source_entries(ctx: Context) -> list[tuple[str, str, list[float]]]:
        from pxr import Usd

        if "source_time_samples" not in ctx.shared:
            prims = ctx.source.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate))
            ctx.shared["source_time_samples"] = list(_sampled(prims))
        return ctx.shared["source_time_samples"]


# ---------------------------------------------------------------------------------------------- config


@rule("config-selectors", "config", Severity.ERROR)
class ConfigSelectors(Rule):
    """With --config: every selector in the twinsplit config matches at least one prim of the stage (a
    selector that matches nothing randomizes nothing, silently)."""

    def applies(self, ctx: Context) -> bool:
        return ctx.config is not None and ctx.kind != "variant"

    def check(self, ctx: Context) -> Iterator[Issue]:
        from ..errors import TwinsplitError
        from ..plan.bind import collect_selectors
        from ..scene.discover import scan

        try:
            info = scan(ctx.stage)
            counts = [(desc, len(info.match(sel, **kw))) for desc, sel, kw in collect_selectors(info, ctx.config)]
        except TwinsplitError as exc:  # e.g. a region the config names does not exist in this stage
            yield self.issue(ctx, str(exc))
            return
        for description, n in counts:
            if n == 0:
                yield self.issue(ctx, f"config selector {description} matches no prim",
                                 suggestion="fix the selector or remove it from the config")
