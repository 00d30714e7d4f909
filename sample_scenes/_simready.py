"""Small builders for SimReady-style sample stages (Z-up, meters, kilograms).

Shared by `sample_scenes/*/build.py` and `bench/build_scene.py`. Every placement is given in world
coordinates and every group Xform stays at identity, so a prim's world box is exactly what its
author wrote: that keeps "resting exactly on the support" checkable and easy to reason about.

Boxes are `UsdGeom.Cube` prims of `size = 1` with `translate / orient / scale` ops, so the scale
*is* the box's dimensions. Values are rounded to a fixed number of decimals before authoring so the
written `.usda` is byte-identical from run to run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pxr import Gf, Kind, Sdf, Usd, UsdGeom, UsdLux, UsdPhysics, UsdSemantics, UsdShade

Vec3 = tuple[float, float, float]

# Conventions shared with the rest of twinsplit (see /work/shared/DESIGN.md and the README).
REGION_ATTR = "twinsplit:region"
REGION_KINDS = (
    "corridor", "room", "doorway", "aisle", "bay", "infection_control", "restricted", "keepout", "route",
)
LABEL_INSTANCE = "class"

START_TIME, END_TIME, FPS = 0.0, 600.0, 30.0
_DECIMALS = 6


def _r(x: float) -> float:
    """Round for authoring; `+ 0.0` turns -0.0 into 0.0 so files never show `-0`."""
    return round(float(x), _DECIMALS) + 0.0


def _v(v: Sequence[float]) -> Gf.Vec3d:
    return Gf.Vec3d(*(_r(c) for c in v))


@dataclass(frozen=True)
class Box:
    """An axis-aligned-in-yaw box: world center, full dimensions, yaw about +Z in degrees."""

    center: Vec3
    size: Vec3
    yaw_deg: float = 0.0

    @property
    def top(self) -> float:
        return self.center[2] + self.size[2] / 2

    @property
    def bottom(self) -> float:
        return self.center[2] - self.size[2] / 2


def on_top(support_top: float, x: float, y: float, size: Vec3, yaw_deg: float = 0.0) -> Box:
    """A box whose bottom face lies exactly on `support_top`."""
    return Box((x, y, support_top + size[2] / 2), size, yaw_deg)


# --------------------------------------------------------------------------- stage
def new_stage(path: str | Path, doc: str) -> tuple[Usd.Stage, Usd.Prim]:
    """In-memory stage with the project metadata, `/World` as default prim and a physics scene.

    The layer gets its final identifier only at export, so nothing host-specific leaks into it.
    """
    stage = Usd.Stage.CreateInMemory(Path(path).name)
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    stage.SetStartTimeCode(START_TIME)
    stage.SetEndTimeCode(END_TIME)
    stage.SetTimeCodesPerSecond(FPS)
    stage.SetFramesPerSecond(FPS)
    stage.GetRootLayer().documentation = doc

    world = UsdGeom.Xform.Define(stage, "/World").GetPrim()
    stage.SetDefaultPrim(world)
    Usd.ModelAPI(world).SetKind(Kind.Tokens.assembly)

    scene = UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    scene.CreateGravityDirectionAttr(Gf.Vec3f(0.0, 0.0, -1.0))
    scene.CreateGravityMagnitudeAttr(9.81)
    return stage, world


def group(stage: Usd.Stage, path: str, *, scope: bool = False) -> Usd.Prim:
    """An identity Xform (or a Scope for non-spatial things such as materials)."""
    if scope:
        return UsdGeom.Scope.Define(stage, path).GetPrim()
    return UsdGeom.Xform.Define(stage, path).GetPrim()


def save(stage: Usd.Stage, path: str | Path) -> Path:
    """Export the root layer as usda; the same stage always yields the same bytes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = stage.GetRootLayer().ExportToString()
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


# --------------------------------------------------------------------------- materials
def physics_material(
    stage: Usd.Stage, path: str, *, static_friction: float, dynamic_friction: float,
    restitution: float, density: float,
) -> UsdShade.Material:
    mat = UsdShade.Material.Define(stage, path)
    api = UsdPhysics.MaterialAPI.Apply(mat.GetPrim())
    api.CreateStaticFrictionAttr(_r(static_friction))
    api.CreateDynamicFrictionAttr(_r(dynamic_friction))
    api.CreateRestitutionAttr(_r(restitution))
    api.CreateDensityAttr(_r(density))
    return mat


def preview_material(
    stage: Usd.Stage, path: str, color: Vec3, *, roughness: float = 0.6, metallic: float = 0.0,
    emissive: Vec3 | None = None,
) -> UsdShade.Material:
    """A UsdPreviewSurface material (the only shading model usd-core can validate without MDL)."""
    mat = UsdShade.Material.Define(stage, path)
    shader = UsdShade.Shader.Define(stage, f"{path}/PreviewSurface")
    shader.CreateIdAttr("UsdPreviewSurface")
    shader.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*(_r(c) for c in color)))
    shader.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(_r(roughness))
    shader.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(_r(metallic))
    if emissive is not None:
        shader.CreateInput("emissiveColor", Sdf.ValueTypeNames.Color3f).Set(Gf.Vec3f(*(_r(c) for c in emissive)))
    surface = shader.CreateOutput("surface", Sdf.ValueTypeNames.Token)
    mat.CreateSurfaceOutput().ConnectToSource(surface)
    return mat


def library(
    stage: Usd.Stage, looks: dict[str, tuple], phys: dict[str, tuple[float, float, float, float]],
) -> tuple[dict[str, UsdShade.Material], dict[str, UsdShade.Material]]:
    """/World/Looks and /World/PhysicsMaterials from two tables, in table order.

    looks: name -> (color, roughness[, metallic]); phys: name -> (static, dynamic friction, restitution, density).
    """
    group(stage, "/World/Looks", scope=True)
    group(stage, "/World/PhysicsMaterials", scope=True)
    made_looks = {}
    for name, (color, roughness, *metallic) in looks.items():
        made_looks[name] = preview_material(stage, f"/World/Looks/{name}", color, roughness=roughness,
                                            metallic=metallic[0] if metallic else 0.0)
    made_phys = {name: physics_material(stage, f"/World/PhysicsMaterials/{name}", static_friction=sf,
                                        dynamic_friction=df, restitution=rest, density=density)
                 for name, (sf, df, rest, density) in phys.items()}
    return made_looks, made_phys


def bind(prim: Usd.Prim, look: UsdShade.Material | None, phys: UsdShade.Material | None) -> None:
    """Render material for all purposes, physics material for the `physics` purpose.

    Bindings inherit down namespace, so binding a group covers every collider under it.
    """
    if look is None and phys is None:
        return
    api = UsdShade.MaterialBindingAPI.Apply(prim)
    if look is not None:
        api.Bind(look)
    if phys is not None:
        api.Bind(phys, UsdShade.Tokens.fallbackStrength, "physics")


def label(prim: Usd.Prim, *classes: str) -> None:
    api = UsdSemantics.LabelsAPI.Apply(prim, LABEL_INSTANCE)
    api.CreateLabelsAttr(list(classes))


def _xform(prim: Usd.Prim, center: Sequence[float], yaw_deg: float, scale: Sequence[float] | None) -> None:
    xf = UsdGeom.Xformable(prim)
    xf.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(_v(center))
    half = math.radians(yaw_deg) / 2
    xf.AddOrientOp(UsdGeom.XformOp.PrecisionFloat).Set(
        Gf.Quatf(_r(math.cos(half)), Gf.Vec3f(0.0, 0.0, _r(math.sin(half))))
    )
    if scale is not None:
        xf.AddScaleOp(UsdGeom.XformOp.PrecisionDouble).Set(_v(scale))


def _extent(gprim: UsdGeom.Boundable) -> None:
    gprim.CreateExtentAttr(UsdGeom.Boundable.ComputeExtentFromPlugins(gprim, Usd.TimeCode.Default()))


def _physics(
    prim: Usd.Prim, *, collider: bool, mass: float | None, kinematic: bool = False,
) -> None:
    if collider:
        UsdPhysics.CollisionAPI.Apply(prim)
    if mass is not None:
        UsdPhysics.RigidBodyAPI.Apply(prim)
        if kinematic:
            UsdPhysics.RigidBodyAPI(prim).CreateKinematicEnabledAttr(True)
        UsdPhysics.MassAPI.Apply(prim).CreateMassAttr(_r(mass))


# --------------------------------------------------------------------------- geometry
def box(
    stage: Usd.Stage, path: str, b: Box, *, labels: Sequence[str], look: UsdShade.Material | None = None,
    phys: UsdShade.Material | None = None, collider: bool = True, mass: float | None = None,
) -> Usd.Prim:
    """A Cube collider. `mass` given -> a dynamic rigid body; otherwise a static collider."""
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    _extent(cube)
    prim = cube.GetPrim()
    _xform(prim, b.center, b.yaw_deg, b.size)
    _physics(prim, collider=collider, mass=mass)
    bind(prim, look, phys if collider else None)
    label(prim, *labels)
    return prim


def cylinder(
    stage: Usd.Stage, path: str, center: Vec3, radius: float, height: float, *, labels: Sequence[str],
    look: UsdShade.Material | None = None, phys: UsdShade.Material | None = None,
    collider: bool = True, mass: float | None = None, capsule: bool = False, axis: str = "Z",
) -> Usd.Prim:
    """A Cylinder (or Capsule, `height` = total height) along `axis`, sized by its own attributes.

    No scale op: PhysX cylinders/capsules reject non-uniform scale (validator ColliderChecker).
    """
    if capsule:
        geom = UsdGeom.Capsule.Define(stage, path)
        geom.CreateHeightAttr(_r(height - 2 * radius))  # capsule height excludes the caps
    else:
        geom = UsdGeom.Cylinder.Define(stage, path)
        geom.CreateHeightAttr(_r(height))
    geom.CreateRadiusAttr(_r(radius))
    geom.CreateAxisAttr(axis)
    _extent(geom)
    prim = geom.GetPrim()
    _xform(prim, center, 0.0, None)
    _physics(prim, collider=collider, mass=mass)
    bind(prim, look, phys if collider else None)
    label(prim, *labels)
    return prim


def region(stage: Usd.Stage, path: str, kind: str, center: Vec3, size: Vec3, yaw_deg: float = 0.0) -> Usd.Prim:
    """A named region: a guide-purpose Cube (not rendered, no collider) tagged with its kind."""
    if kind not in REGION_KINDS:
        raise ValueError(f"unknown region kind {kind!r}; expected one of {REGION_KINDS}")
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    cube.CreatePurposeAttr(UsdGeom.Tokens.guide)
    _extent(cube)
    prim = cube.GetPrim()
    _xform(prim, center, yaw_deg, size)
    prim.CreateAttribute(REGION_ATTR, Sdf.ValueTypeNames.Token, custom=True).Set(kind)
    return prim


def rigid_body(
    stage: Usd.Stage, path: str, center: Vec3, *, mass: float, labels: Sequence[str], yaw_deg: float = 0.0,
) -> Usd.Prim:
    """A compound dynamic body: an Xform carrying RigidBodyAPI + MassAPI whose child prims are the
    colliders, authored in the body's local frame (origin on the floor contact plane)."""
    prim = UsdGeom.Xform.Define(stage, path).GetPrim()
    _xform(prim, center, yaw_deg, None)
    _physics(prim, collider=False, mass=mass)
    label(prim, *labels)
    return prim


# --------------------------------------------------------------------------- lights
def _light_common(light: UsdLux.LightAPI, intensity: float, exposure: float, color: Vec3) -> None:
    light.CreateIntensityAttr(_r(intensity))
    light.CreateExposureAttr(_r(exposure))
    light.CreateColorAttr(Gf.Vec3f(*(_r(c) for c in color)))


def sphere_light(
    stage: Usd.Stage, path: str, center: Vec3, *, radius: float, intensity: float, exposure: float = 0.0,
    color: Vec3 = (1.0, 1.0, 1.0),
) -> Usd.Prim:
    light = UsdLux.SphereLight.Define(stage, path)
    light.CreateRadiusAttr(_r(radius))
    _light_common(UsdLux.LightAPI(light), intensity, exposure, color)
    _extent(light)
    prim = light.GetPrim()
    _xform(prim, center, 0.0, None)
    label(prim, "light")
    return prim


def rect_light(
    stage: Usd.Stage, path: str, center: Vec3, *, width: float, height: float, intensity: float,
    exposure: float = 0.0, color: Vec3 = (1.0, 1.0, 1.0), yaw_deg: float = 0.0,
) -> Usd.Prim:
    """A RectLight; UsdLux rect lights emit along their local -Z, i.e. down from a ceiling here."""
    light = UsdLux.RectLight.Define(stage, path)
    light.CreateWidthAttr(_r(width))
    light.CreateHeightAttr(_r(height))
    _light_common(UsdLux.LightAPI(light), intensity, exposure, color)
    _extent(light)
    prim = light.GetPrim()
    _xform(prim, center, yaw_deg, None)
    label(prim, "light")
    return prim


def dome_light(
    stage: Usd.Stage, path: str, *, intensity: float, exposure: float = 0.0, color: Vec3 = (1.0, 1.0, 1.0),
) -> Usd.Prim:
    light = UsdLux.DomeLight.Define(stage, path)
    _light_common(UsdLux.LightAPI(light), intensity, exposure, color)
    prim = light.GetPrim()
    label(prim, "light")
    return prim
