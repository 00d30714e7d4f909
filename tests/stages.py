"""Tiny real stages written as usda text or with pxr, for tests (each test writes its own copy in tmp_path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

# The opening of a physics world with an 8 x 8 m static floor whose top is at z = 0 (Z-up, metres); the caller
# adds bodies and the closing brace.
PHYSICS_FLOOR = """def Xform "World"
{
    def PhysicsScene "PhysicsScene" {}
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, 0, -0.5)
        float3 xformOp:scale = (8, 8, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
"""

SMALL = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    upAxis = "Z"
    kilogramsPerUnit = 1
)

def Xform "World"
{
    def PhysicsScene "PhysicsScene"
    {
        vector3f physics:gravityDirection = (0, 0, -1)
        float physics:gravityMagnitude = 9.81
    }

    def Scope "Materials"
    {
        def Material "Rubber" (
            prepend apiSchemas = ["PhysicsMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.9
            float physics:dynamicFriction = 0.8
            float physics:restitution = 0.3
            float physics:density = 1100
        }

        def Material "Steel" (
            prepend apiSchemas = ["PhysicsMaterialAPI", "PhysxMaterialAPI"]
        )
        {
            float physics:staticFriction = 0.6
            float physics:dynamicFriction = 0.4
            float physics:restitution = 0.1
        }
    }

    def Cube "Floor" (
        prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"]
    )
    {
        double size = 1
        rel material:binding:physics = </World/Materials/Steel>
        double3 xformOp:translate = (0, 0, -0.05)
        float3 xformOp:scale = (10, 10, 0.1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }

    def Cube "Box" (
        prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "PhysxRigidBodyAPI", "MaterialBindingAPI"]
    )
    {
        double size = 1
        float physics:mass = 5
        rel material:binding:physics = </World/Materials/Rubber>
        double3 xformOp:translate = (1, 0, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }

    def Scope "Lights"
    {
        def SphereLight "Key"
        {
            float inputs:intensity = 3000
            float inputs:radius = 0.2
            double3 xformOp:translate = (0, 0, 3)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }

        def DomeLight "Sky"
        {
            float inputs:intensity = 500
        }
    }
}
"""  # noqa: E501

CONFIG = """
seeds: {train: 11, holdout: 22}
lineage: {purpose: test, owner: qa, consent: synthetic, retention: 30 days}
randomize:
  physics_materials:
    static_friction: {low: 0.3, high: 1.0}
    dynamic_friction: {low: 0.2, high: 0.9}
    restitution: {distribution: normal, low: 0.0, high: 0.5, mean: 0.2, std: 0.1}
  lighting:
    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}
    color_temperature: {low: 3000, high: 6500}
    color: {low: 0.8, high: 1.0}
"""

# ood mode: holdout-only low static friction (train may not have every material inside it)
OOD = """
seeds: {train: 5, holdout: 6}
splits:
  mode: ood
  holdout_regions:
    - name: slippery
      params: {static_friction: {low: 0.05, high: 0.25}}
randomize:
  physics_materials:
    static_friction: {low: 0.05, high: 1.0, holdout: {low: 0.05, high: 0.25}}
    restitution: {low: 0.0, high: 0.5}
  lighting:
    intensity: {low: 0.5, high: 2.0, operation: scale}
"""


def write(tmp: Path, text: str = SMALL, name: str = "scene.usda") -> Path:
    p = tmp / name
    p.write_text(text)
    return p


def edit_first(layer_path: Path, attr: str, value) -> str:
    """Tamper: set the default of the first spec of `attr` in a written layer (usdc or usda) and save it again
    through Sdf; returns the spec's path."""
    layer = Sdf.Layer.FindOrOpen(str(layer_path))
    found: list[Sdf.Path] = []
    layer.Traverse("/", lambda path: found.append(path) if path.IsPropertyPath() and path.name == attr else None)
    layer.GetAttributeAtPath(found[0]).default = value
    layer.Save()
    return str(found[0])


# --------------------------------------------------------------------------------------------------
# Stages of rigid-body structures written with pxr: boxes in metres (centre x, y, height z; size sx, sy, sz),
# written for either up axis and any metersPerUnit, so one description gives a metre Z-up and a cm Y-up stage.


@dataclass(frozen=True)
class Box:
    path: str  # prim path, e.g. /World/Stack_0/Crate_1
    x: float
    y: float
    z: float  # height of the centre above the floor top
    sx: float
    sy: float
    sz: float
    body: bool = True  # a dynamic rigid body; False: a static collider
    yaw: float = 0.0  # degrees about the up axis


@dataclass(frozen=True)
class Joint:
    """A revolute joint about the up axis between two bodies, at world point (x, y, z) metres."""

    path: str
    body0: str
    body1: str
    at: tuple[float, float, float]


FLOOR = Box("/World/Floor", 0, 0, -0.05, 20, 20, 0.1, body=False)


def _world(x: float, y: float, z: float, up: str, k: float):
    return Gf.Vec3d(x * k, z * k, -y * k) if up == "Y" else Gf.Vec3d(x * k, y * k, z * k)


def box_stage(path: Path, boxes: list[Box], *, up: str = "Z", mpu: float = 1.0, joints: tuple[Joint, ...] = ()) -> Path:
    """A stage of collider cubes (size 1, translate/orient/scale) with a physics scene; k = 1/mpu converts metres."""
    k = 1.0 / mpu
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, up)
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    stage.SetDefaultPrim(UsdGeom.Xform.Define(stage, "/World").GetPrim())
    scene = UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    scene.CreateGravityDirectionAttr(Gf.Vec3f(0, -1, 0) if up == "Y" else Gf.Vec3f(0, 0, -1))
    scene.CreateGravityMagnitudeAttr(9.81 * k)
    axis = Gf.Vec3d(0, 1, 0) if up == "Y" else Gf.Vec3d(0, 0, 1)
    for b in boxes:
        cube = UsdGeom.Cube.Define(stage, b.path)
        cube.CreateSizeAttr(1.0)
        x = UsdGeom.Xformable(cube.GetPrim())
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(_world(b.x, b.y, b.z, up, k))
        x.AddOrientOp().Set(Gf.Quatf(Gf.Rotation(axis, b.yaw).GetQuat()))
        size = (b.sx, b.sz, b.sy) if up == "Y" else (b.sx, b.sy, b.sz)
        x.AddScaleOp().Set(Gf.Vec3f(*(s * k for s in size)))
        prim = cube.GetPrim()
        UsdPhysics.CollisionAPI.Apply(prim)
        if b.body:
            UsdPhysics.RigidBodyAPI.Apply(prim)
            UsdPhysics.MassAPI.Apply(prim).CreateDensityAttr(200.0 / k**3)  # 200 kg/m^3 in stage units
    cache = UsdGeom.XformCache()
    for j in joints:
        joint = UsdPhysics.RevoluteJoint.Define(stage, j.path)
        joint.CreateAxisAttr(up)
        for rel, local, body in ((joint.CreateBody0Rel(), joint.CreateLocalPos0Attr(), j.body0),
                                 (joint.CreateBody1Rel(), joint.CreateLocalPos1Attr(), j.body1)):
            rel.SetTargets([Sdf.Path(body)])
            inv = cache.GetLocalToWorldTransform(stage.GetPrimAtPath(body)).GetInverse()
            local.Set(Gf.Vec3f(inv.Transform(_world(*j.at, up, k))))
    stage.Save()
    return path


def bridge(at: tuple[float, float] = (0.0, 0.0), name: str = "Bridge", *, static_posts: bool = False,
           height: float = 1.0, span: float = 1.6, post: float = 0.3, slab: tuple[float, float] = (0.6, 0.2),
           sink: float = 0.0) -> list[Box]:
    """A slab resting on two posts `span` apart (centre to centre); the posts stand `sink` deep in the floor."""
    x, y = at
    posts = [Box(f"/World/{name}/Post_{i}", x + s * span / 2, y, height / 2 - sink, post, post, height,
                 body=not static_posts) for i, s in enumerate((-1, 1))]
    length = span + post
    return posts + [Box(f"/World/{name}/Slab", x, y, height - sink + slab[1] / 2, length, slab[0], slab[1])]


def stack(at: tuple[float, float], sizes: list[float], name: str, *, sink: float = 0.0,
          shift: float = 0.0) -> list[Box]:
    """Crates of the given edge lengths (metres) stacked bottom up; each sits `shift` off the one below (along x);
    the bottom crate stands `sink` deep in the floor."""
    x, y = at
    out, z = [], -sink
    for i, s in enumerate(sizes):
        out.append(Box(f"/World/{name}/Crate_{i}", x + (shift if i else 0.0), y, z + s / 2, s, s, s))
        z += s
    return out


def shelf(at: tuple[float, float], name: str = "Shelf", *, boards: tuple[float, float] = (0.4, 1.2),
          width: float = 2.4, depth: float = 0.6, items: int = 3, item: float = 0.25) -> list[Box]:
    """A static shelf (two uprights, boards at two heights, 4 cm thick) with `items` cubes resting on each board."""
    x, y = at
    t = 0.04
    top = boards[1] + 0.4
    out = [Box(f"/World/{name}/Upright_{i}", x + s * (width / 2 + t / 2), y, top / 2, t, depth, top, body=False)
           for i, s in enumerate((-1, 1))]
    for b, h in enumerate(boards):
        out.append(Box(f"/World/{name}/Board_{b}", x, y, h - t / 2, width, depth, t, body=False))
        pitch = width / items
        out += [Box(f"/World/{name}/Item_{b}_{i}", x - width / 2 + pitch * (i + 0.5), y, h + item / 2,
                    item, item, item) for i in range(items)]
    return out


def robot(at: tuple[float, float] = (0.0, 0.0), name: str = "Robot", *, sink: float = 0.004) -> tuple[list[Box], Joint]:
    """A floating-base two-link robot: a base sunk `sink` into the floor and an arm link resting on it, jointed
    by a revolute joint about the up axis (no joint to the world)."""
    x, y = at
    base = Box(f"/World/{name}/Base", x, y, 0.15 - sink, 0.4, 0.4, 0.3)
    arm = Box(f"/World/{name}/Arm", x, y, 0.3 - sink + 0.3, 0.15, 0.15, 0.6)
    return [base, arm], Joint(f"/World/{name}/Shoulder", base.path, arm.path, (x, y, 0.3 - sink))


def nothing_to_randomize(path: Path) -> Path:
    """Only static colliders: no physics material, light, rigid body or region."""
    return box_stage(path, [FLOOR, Box("/World/Wall", 0, 3, 1, 6, 0.2, 2, body=False)])
