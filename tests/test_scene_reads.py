"""What the scene package reads in bulk equals what USD gives one call at a time, bit for bit: xform op matrices
built from the values already read, collider frames decomposed all at once, and the stage reused instead of
reopened."""

from __future__ import annotations

import pickle

import numpy as np
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from twinsplit.scene.colliders import shape_from_prim, shapes_from_stage
from twinsplit.scene.discover import load, scan
from twinsplit.scene.time import pose_time
from twinsplit.scene.xforms import scene_xforms, stage_of

OP_TYPES = ["Translate", "Scale", "RotateX", "RotateY", "RotateZ", "RotateXYZ", "RotateXZY", "RotateYXZ", "RotateYZX",
            "RotateZXY", "RotateZYX", "Orient", "Transform"]
PRECISIONS = [UsdGeom.XformOp.PrecisionDouble, UsdGeom.XformOp.PrecisionFloat, UsdGeom.XformOp.PrecisionHalf]


def _value(op_type: str, precision, rng: np.random.Generator, k: int):
    double, half = precision == UsdGeom.XformOp.PrecisionDouble, precision == UsdGeom.XformOp.PrecisionHalf
    if op_type == "Orient":
        q = [np.array([1.0, 0, 0, 0]), np.array([1.0, -0.0, 0, 0]), np.array([np.cos(0.3), 0, 0, np.sin(0.3)]),
             rng.normal(size=4)][k % 4]
        return (Gf.Quatd if double else Gf.Quath if half else Gf.Quatf)(*(q / np.linalg.norm(q)))
    if op_type in ("RotateX", "RotateY", "RotateZ"):
        return float(rng.uniform(-180, 180))
    if op_type == "Transform":
        m = Gf.Matrix4d().SetRotate(Gf.Rotation(Gf.Vec3d(*rng.normal(size=3)), float(rng.uniform(-180, 180))))
        return m.SetTranslateOnly(Gf.Vec3d(*rng.normal(size=3)))
    v = rng.uniform(0.5, 2, 3) if op_type == "Scale" else rng.uniform(-5, 5, 3)
    if k % 4 == 1:  # signed zeros and (for a scale) a zero axis, whose inverse is infinite
        v = np.array([0.0, -0.0, 1.5])
    return (Gf.Vec3d if double else Gf.Vec3h if half else Gf.Vec3f)(*v)


def _op_stage(tmp_path) -> Usd.Stage:
    """Bodies with every op type at every precision, forward and inverse, signed zeros, identity and real
    quaternions, an op with no value, an animated op and a reset xform stack."""
    stage = Usd.Stage.CreateNew(str(tmp_path / "ops.usda"))
    rng = np.random.default_rng(3)
    k = 0
    for op_type in OP_TYPES:
        for precision in PRECISIONS if op_type != "Transform" else PRECISIONS[:1]:
            for inverse in (False, True):
                for rep in range(4):
                    prim = stage.DefinePrim(f"/W/B{k}", "Cube")
                    UsdPhysics.RigidBodyAPI.Apply(prim)
                    xf = UsdGeom.Xformable(prim)
                    xf.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(Gf.Vec3d(1, 2, 3))
                    op = xf.AddXformOp(getattr(UsdGeom.XformOp, f"Type{op_type}"), precision, "a")
                    if rep != 3 or op_type == "Transform":
                        op.Set(_value(op_type, precision, rng, rep))
                    if inverse:
                        xf.AddXformOp(getattr(UsdGeom.XformOp, f"Type{op_type}"), precision, "a", isInverseOp=True)
                    if rep == 2:
                        op.Set(_value(op_type, precision, rng, 0), Usd.TimeCode(10))
                        xf.SetResetXformStack(True)
                    k += 1
    stage.Save()
    return stage


def test_xform_ops_equal_usds_calls_bit_for_bit(tmp_path):
    stage = _op_stage(tmp_path)
    scene = scan(stage)
    time = pose_time(stage)
    bodies = scene.bodies
    xfs = scene_xforms(scene, bodies)
    assert len(bodies) > 200
    for path in bodies:
        usd_ops = UsdGeom.Xformable(stage.GetPrimAtPath(path)).GetOrderedXformOps()
        ops = xfs[path].ops
        assert len(ops) == len(usd_ops)
        for op, u in zip(ops, usd_ops, strict=True):
            assert (op.name, op.attr, op.inverse) == (u.GetOpName(), u.GetName(), u.IsInverseOp())
            assert op.op_type == str(u.GetOpType()).split(".")[-1].removeprefix("Type")
            assert op.type_name == str(u.GetTypeName())
            assert op.value == u.Get(time)
            want = np.array(u.GetOpTransform(time), dtype=float).reshape(4, 4)
            assert op.matrix.tobytes() == want.tobytes(), (path, op.name)
        assert xfs[path].animated == any(u.GetNumTimeSamples() > 0 for u in usd_ops)


def _collider_stage(tmp_path) -> Usd.Stage:
    """Colliders of every kind under random parents: rotated, scaled non-uniformly, mirrored, sheared, flat."""
    stage = Usd.Stage.CreateNew(str(tmp_path / "colliders.usda"))
    rng = np.random.default_rng(5)
    kinds = ["Cube", "Sphere", "Capsule", "Cylinder", "Cone", "Plane", "Mesh"]
    for k in range(140):
        parent = UsdGeom.Xformable(stage.DefinePrim(f"/W/G{k}", "Xform"))
        parent.AddRotateXYZOp().Set(Gf.Vec3f(*rng.uniform(-90, 90, 3)))
        scale = [rng.uniform(0.5, 2, 3), np.full(3, 1.5), np.array([1.0, 1.0, -1.0]), np.array([2.0, 0.0, 1.0])][k % 4]
        parent.AddScaleOp().Set(Gf.Vec3f(*scale))
        prim = stage.DefinePrim(f"/W/G{k}/C", kinds[k % len(kinds)])
        xf = UsdGeom.Xformable(prim)
        xf.AddTranslateOp().Set(Gf.Vec3d(*rng.normal(size=3)))
        xf.AddRotateXYZOp().Set(Gf.Vec3f(*rng.uniform(-180, 180, 3)))  # under a non-uniform parent scale: shear
        if kinds[k % len(kinds)] == "Mesh":
            mesh = UsdGeom.Mesh(prim)
            mesh.CreatePointsAttr([Gf.Vec3f(*p) for p in rng.normal(size=(8, 3))])
            mesh.CreateFaceVertexCountsAttr([3, 3, 4])
            mesh.CreateFaceVertexIndicesAttr([0, 1, 2, 2, 3, 4, 4, 5, 6, 7])
        UsdPhysics.CollisionAPI.Apply(prim)
        if k % 3 == 0:
            UsdPhysics.RigidBodyAPI.Apply(prim)
    return stage


def _fields(s) -> list:
    out = []
    for k in ("path", "kind", "center", "rotation", "half_extents", "radius", "half_height", "axis", "vertices",
              "dynamic", "body", "normals", "edges", "edge_dirs"):
        v = getattr(s, k)
        out.append((v.dtype.str, v.shape, v.strides, v.tobytes()) if isinstance(v, np.ndarray) else v)
    return out + [tuple(b.tobytes() for b in s.aabb())]


def test_collider_frames_decomposed_at_once_equal_one_at_a_time(tmp_path):
    stage = _collider_stage(tmp_path)
    batched = shapes_from_stage(stage, triangle_meshes=False)
    cache = UsdGeom.XformCache()
    alone = [shape_from_prim(p, cache.GetLocalToWorldTransform(p)) for p in stage.Traverse()
             if p.HasAPI(UsdPhysics.CollisionAPI)]
    assert len(batched) == len(alone) == 140
    assert {s.kind for s in batched} == {"box", "sphere", "capsule", "cylinder", "convex"}
    for a, b in zip(batched, alone, strict=True):
        assert _fields(a) == _fields(b), a.path


def test_the_loaded_stage_is_reused_and_never_pickled(tmp_path):
    stage = _op_stage(tmp_path)
    opened, scene = load(stage.GetRootLayer().realPath)
    assert stage_of(scene) is opened  # no second composition of the file
    copy = pickle.loads(pickle.dumps(scene))
    assert copy.stage is None  # a worker gets plain data and reopens the stage from the root layer
    again = stage_of(copy)
    assert again is not opened and again.GetRootLayer() == opened.GetRootLayer()
    assert stage_of(copy) is again
