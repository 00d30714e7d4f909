"""Collision shapes from real USD stages and exact overlap tests."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from twinsplit.geometry import (
    Overlap,
    OverlapIndex,
    box,
    find_overlaps,
    intersects_box,
    penetration_depth,
    within_bounds,
)
from twinsplit.scene.colliders import shape_from_prim, shapes_from_stage

HEADER = '#usda 1.0\n(\n    metersPerUnit = {mpu}\n    upAxis = "{up}"\n)\n'


def stage_from(tmp_path, body: str, *, mpu: float = 1.0, up: str = "Z", name: str = "s.usda") -> Usd.Stage:
    path = tmp_path / name
    path.write_text(HEADER.format(mpu=mpu, up=up) + body)
    stage = Usd.Stage.Open(str(path))
    assert stage, path
    return stage


def cube(name: str, pos, *, size: float = 1.0, dynamic: bool = True, extra: str = "", rot=None) -> str:
    schemas = '"PhysicsRigidBodyAPI", "PhysicsCollisionAPI"' if dynamic else '"PhysicsCollisionAPI"'
    ops = f"double3 xformOp:translate = ({pos[0]}, {pos[1]}, {pos[2]})\n"
    order = '"xformOp:translate"'
    if rot is not None:
        ops += f"        float3 xformOp:rotateXYZ = ({rot[0]}, {rot[1]}, {rot[2]})\n"
        order += ', "xformOp:rotateXYZ"'
    return f"""
def Cube "{name}" (prepend apiSchemas = [{schemas}])
{{
    double size = {size}
    {ops}        uniform token[] xformOpOrder = [{order}]
    {extra}
}}
"""


def body_pairs(overlaps: list[Overlap]) -> set[tuple[str, str]]:
    return {(o.a, o.b) for o in overlaps}


# --- box/box distances ------------------------------------------------------------------------

@pytest.mark.parametrize("dx, expected", [(0.99, True), (1.0, False), (1.01, False)])
def test_unit_cubes_overlap_touch_apart(tmp_path, dx, expected):
    stage = stage_from(tmp_path, cube("A", (0, 0, 0)) + cube("B", (dx, 0, 0)))
    found = find_overlaps(shapes_from_stage(stage))
    assert bool(found) is expected
    if expected:
        assert found[0].a == "/A" and found[0].b == "/B"
        assert found[0].depth == pytest.approx(0.01, abs=1e-9)


def test_rotated_cube_needs_sat(tmp_path):
    # A is turned 45° about Z; B sits diagonally. AABBs overlap, A's face normal (1,1)/√2 separates them.
    stage = stage_from(tmp_path, cube("A", (0, 0, 0), rot=(0, 0, 45)) + cube("B", (0.9, 0.9, 0)))
    a, b = shapes_from_stage(stage)
    assert np.all(np.minimum(a.aabb()[1], b.aabb()[1]) > np.maximum(a.aabb()[0], b.aabb()[0]))
    assert find_overlaps([a, b]) == []
    moved = b.transformed(_translate(-0.06, -0.06, 0))  # to (0.84, 0.84): corner pokes in
    (o,) = find_overlaps([a, moved])
    assert o.depth == pytest.approx(0.5 + math.sqrt(0.5) - 0.84 * math.sqrt(2), abs=1e-9)


@pytest.mark.parametrize("gap", [0.01, -0.01])
def test_crossed_ridges_need_edge_edge_axis(gap):
    # A: ridge along X at z = +√½; B above: ridge along Y. Only cross(X, Y) = Z gives the exact answer.
    h = (0.5, 0.5, 0.5)
    a = box("/a", (0, 0, 0), h, _rot_x(45), dynamic=True)
    b = box("/b", (0, 0, 2 * math.sqrt(0.5) + gap), h, _rot_y(45), dynamic=True)
    d = penetration_depth(a, b)
    if gap < 0:
        assert d == pytest.approx(-gap, abs=1e-9)
    else:
        assert d < 0
    assert bool(find_overlaps([a, b])) is (gap < 0)


# --- transforms, units, axes ------------------------------------------------------------------

def test_nested_scale_in_centimetre_stage(tmp_path):
    body = """
def Xform "World" {
    double3 xformOp:translate = (100, 0, 0)
    float3 xformOp:scale = (2, 2, 2)
    uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    def Xform "Shelf" {
        float3 xformOp:scale = (1, 3, 0.5)
        double3 xformOp:translate = (0, 10, 0)
        uniform token[] xformOpOrder = ["xformOp:scale", "xformOp:translate"]
        def Cube "Box" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    double size = 10
}
    }
}
"""
    stage = stage_from(tmp_path, body, mpu=0.01)
    assert UsdGeom.GetStageMetersPerUnit(stage) == 0.01
    (s,) = shapes_from_stage(stage)
    assert s.kind == "box"
    # translate (0,10,0) is applied before the (1,3,0.5) scale: y = 30 local, then *2, +100 in x.
    np.testing.assert_allclose(s.center, [100, 60, 0], atol=1e-9)
    np.testing.assert_allclose(s.half_extents, [10, 30, 5], atol=1e-9)  # cm, not converted
    lo, hi = s.aabb()
    np.testing.assert_allclose(lo, [90, 30, -5], atol=1e-9)
    np.testing.assert_allclose(hi, [110, 90, 5], atol=1e-9)
    assert not s.dynamic and s.body == "/World/Shelf/Box"


def test_y_up_box_on_floor_plane(tmp_path):
    body = """
def Plane "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    uniform token axis = "Y"
}
""" + cube("Crate", (0, 0.5, 0)) + cube("Sunk", (5, 0.4, 0))
    stage = stage_from(tmp_path, body, up="Y")
    shapes = shapes_from_stage(stage)
    floor = next(s for s in shapes if s.path == "/Floor")
    assert floor.aabb()[1][1] == 0 and floor.aabb()[0][0] < -1e5  # half-space below y = 0
    (o,) = find_overlaps(shapes)
    assert (o.a, o.b) == ("/Floor", "/Sunk") and o.depth == pytest.approx(0.1, abs=1e-9)


def test_shear_falls_back_to_convex():
    stage = Usd.Stage.CreateInMemory()
    c = UsdGeom.Cube.Define(stage, "/C")
    UsdPhysics.CollisionAPI.Apply(c.GetPrim())
    m = Gf.Matrix4d(1)
    m.SetRow(1, Gf.Vec4d(0.5, 1, 0, 0))  # shear: local y leans into x
    s = shape_from_prim(c.GetPrim(), m)
    assert s.kind == "convex"
    lo, hi = s.aabb()
    np.testing.assert_allclose(hi - lo, [3, 2, 2], atol=1e-9)  # x + 0.5 y over [-1,1]^2


# --- meshes, capsules, cylinders --------------------------------------------------------------

TETRA = """
def Mesh "Tet" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMeshCollisionAPI"])
{
    uniform token physics:approximation = "convexHull"
    point3f[] points = [(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)]
    int[] faceVertexCounts = [3, 3, 3, 3]
    int[] faceVertexIndices = [0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3]
    double3 xformOp:translate = (X, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}
"""


@pytest.mark.parametrize("x, expected", [(0.45, True), (0.5, False), (0.6, False)])
def test_tetra_mesh_vs_cube(tmp_path, x, expected):
    # Cube spans x <= 0.5; the tetra's corner sits at x; a dynamic cube vs a dynamic mesh body.
    stage = stage_from(tmp_path, TETRA.replace("X", str(x)) + cube("C", (0, 0, 0)))
    shapes = shapes_from_stage(stage)
    assert {s.kind for s in shapes} == {"box", "convex"}
    assert bool(find_overlaps(shapes)) is expected


def test_tilted_tetra_needs_edge_axes():
    tet = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    from twinsplit.geometry import convex
    t = convex("/t", tet + [0.6, 0.6, 0.6], dynamic=True)  # faces toward the cube corner
    c = box("/c", (0, 0, 0), (0.5, 0.5, 0.5), dynamic=True)
    assert penetration_depth(c, t) < 0  # the corner (0.6,.6,.6) is outside the cube
    t2 = convex("/t", tet + [0.4, 0.4, 0.4], dynamic=True)
    assert penetration_depth(c, t2) == pytest.approx(0.1, abs=1e-9)


def test_static_triangle_mesh_is_hollow_and_flat_floor(tmp_path):
    body = """
def Mesh "Room" (prepend apiSchemas = ["PhysicsCollisionAPI"])
{
    point3f[] points = [(-5,-5,0), (5,-5,0), (5,5,0), (-5,5,0), (-5,-5,4), (5,-5,4), (5,5,4), (-5,5,4)]
    int[] faceVertexCounts = [4, 4, 4, 4, 4, 4]
    int[] faceVertexIndices = [0,3,2,1, 4,5,6,7, 0,1,5,4, 1,2,6,5, 2,3,7,6, 3,0,4,7]
}
""" + cube("Inside", (0, 0, 0.5)) + cube("ThroughWall", (5, 0, 1))
    shapes = shapes_from_stage(stage_from(tmp_path, body))
    assert sum(s.path == "/Room" for s in shapes) == 12  # 6 quads -> 12 triangles
    assert body_pairs(find_overlaps(shapes)) == {("/Room", "/ThroughWall")}
    hulled = shapes_from_stage(stage_from(tmp_path, body, name="h.usda"), triangle_meshes=False)
    assert body_pairs(find_overlaps(hulled)) == {("/Inside", "/Room"), ("/Room", "/ThroughWall")}


def test_planar_dynamic_mesh_becomes_flat_box(tmp_path):
    body = """
def Mesh "Sheet" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
{
    point3f[] points = [(-1,-1,0), (1,-1,0), (1,1,0), (-1,1,0)]
    int[] faceVertexCounts = [4]
    int[] faceVertexIndices = [0,1,2,3]
    float3 xformOp:rotateXYZ = (30, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:rotateXYZ"]
}
"""
    (s,) = shapes_from_stage(stage_from(tmp_path, body))
    assert s.kind == "box"
    np.testing.assert_allclose(np.sort(s.half_extents), [0, 1, 1], atol=1e-6)


def test_capsule_against_box_and_capsule(tmp_path):
    body = """
def Capsule "Person" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
{
    double radius = 0.3
    double height = 1.2
    uniform token axis = "Z"
    bool physics:kinematicEnabled = true
    double3 xformOp:translate = (0, 0, 0.9)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}
""" + cube("Near", (0.79, 0, 0.5)) + cube("Touch", (-0.8, 0, 1.0)) + cube("Floor", (0, 0, -0.5), size=1, dynamic=False)
    shapes = shapes_from_stage(stage_from(tmp_path, body))
    cap = next(s for s in shapes if s.kind == "capsule")
    assert cap.radius == pytest.approx(0.3) and cap.half_height == pytest.approx(0.6)
    assert not cap.dynamic  # kinematic person: ignored against the static floor it stands on
    found = find_overlaps(shapes)
    assert body_pairs(found) == {("/Near", "/Person")}
    assert found[0].depth == pytest.approx(0.01, abs=1e-9)
    # bottom cap centre (0,0,0.3) vs a box's top corner placed along (-1,-1,-1): vertex–endpoint axis
    e = np.array([0, 0, 0.3])
    for dist in (0.29, 0.31):
        corner = e - dist / math.sqrt(3)
        k = box("/k", corner - 0.5, (0.5, 0.5, 0.5), dynamic=True)
        assert penetration_depth(cap, k) == pytest.approx(0.3 - dist, abs=1e-9)


def test_sphere_vs_box_corner_is_distance_exact():
    b = box("/b", (0, 0, 0), (0.5, 0.5, 0.5), dynamic=True)
    from twinsplit.geometry import Shape
    for gap in (0.01, -0.01):
        c = np.full(3, 0.5 + (0.2 + gap) / math.sqrt(3))
        s = Shape("/s", "sphere", c, radius=0.2, dynamic=True)
        assert penetration_depth(b, s) == pytest.approx(-gap, abs=1e-9)


def test_cylinder_is_kept_with_its_hull(tmp_path):
    body = """
def Cylinder "Drum" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
{
    double radius = 0.5
    double height = 1
    uniform token axis = "Y"
    double3 xformOp:translate = (0, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}
""" + cube("A", (0.98, 0, 0)) + cube("B", (0, 1.0, 0))
    shapes = shapes_from_stage(stage_from(tmp_path, body))
    drum = next(s for s in shapes if s.kind == "cylinder")
    np.testing.assert_allclose(np.abs(drum.axis), [0, 1, 0], atol=1e-12)
    assert body_pairs(find_overlaps(shapes)) == {("/A", "/Drum")}  # B rests on the flat cap


# --- pair rules, schemas, instancing ----------------------------------------------------------

def test_statics_and_same_body_ignored(tmp_path):
    body = cube("Wall", (0, 0, 0), dynamic=False) + cube("Wall2", (0.5, 0, 0), dynamic=False) + """
def Xform "Cart" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
    double3 xformOp:translate = (10, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
    def Cube "Base" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    double size = 1
}
    def Cube "Handle" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    double size = 1
}
}
"""
    shapes = shapes_from_stage(stage_from(tmp_path, body))
    assert {s.body for s in shapes if s.path.startswith("/Cart")} == {"/Cart"}
    assert find_overlaps(shapes) == []
    # but a second body hitting the cart reports bodies, deepest collider pair
    mover = box("/Other", (10.9, 0, 0), (0.5, 0.5, 0.5), dynamic=True)
    (o,) = find_overlaps(shapes + [mover])
    assert (o.a, o.b) == ("/Cart", "/Other") and o.collider_a.startswith("/Cart/")


def test_unknown_api_schema_disabled_guides_and_hidden(tmp_path):
    body = """
def Cube "Px" (prepend apiSchemas = ["PhysxCollisionAPI", "PhysicsCollisionAPI", "PhysicsRigidBodyAPI", "PhysxRigidBodyAPI"])
{
    double size = 1
    float physxCollision:contactOffset = 0.02
}
def Cube "Off" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    bool physics:collisionEnabled = false
}
def Cube "Guide" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    uniform token purpose = "guide"
}
def Cube "Hidden" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
    token visibility = "invisible"
}
def Cube "Inactive" (active = false; prepend apiSchemas = ["PhysicsCollisionAPI"]) { }
"""  # noqa: E501
    shapes = shapes_from_stage(stage_from(tmp_path, body))
    assert sorted(s.path for s in shapes) == ["/Guide", "/Hidden", "/Px"]  # purpose is for rendering only
    assert body_pairs(find_overlaps(shapes)) == {("/Guide", "/Px"), ("/Hidden", "/Px")}


def test_instance_proxies_and_references(tmp_path):
    (tmp_path / "crate.usda").write_text("""#usda 1.0
(
    defaultPrim = "Crate"
    metersPerUnit = 1
    upAxis = "Z"
)
def Xform "Crate" (prepend apiSchemas = ["PhysicsRigidBodyAPI"]) {
    def Cube "Col" (prepend apiSchemas = ["PhysicsCollisionAPI"]) {
        double size = 1
    }
}
""")
    body = "".join(f"""
def "C{i}" (instanceable = true; prepend references = @./crate.usda@) {{
    double3 xformOp:translate = ({x}, 0, 0)
    uniform token[] xformOpOrder = ["xformOp:translate"]
}}
""" for i, x in enumerate((0, 0.9, 3)))
    stage = stage_from(tmp_path, body)
    assert stage.GetPrimAtPath("/C0/Col").IsInstanceProxy()
    shapes = shapes_from_stage(stage)
    assert sorted(s.path for s in shapes) == ["/C0/Col", "/C1/Col", "/C2/Col"]
    assert {s.body for s in shapes} == {"/C0", "/C1", "/C2"} and all(s.dynamic for s in shapes)
    (o,) = find_overlaps(shapes)
    assert (o.a, o.b) == ("/C0", "/C1") and o.depth == pytest.approx(0.1)
    assert [s.path for s in shapes_from_stage(stage, include=["/C2"])] == ["/C2/Col"]


# --- incremental index, bounds, keep-out ------------------------------------------------------

def test_overlap_index_agrees_with_find_overlaps():
    rng = np.random.default_rng(7)
    floor = box("/Floor", (0, 0, -0.5), (20, 20, 0.5))
    index = OverlapIndex([floor], 1e-4)
    placed: list = [floor]
    rejected = 0
    for k in range(300):
        rot = _rot_z(rng.uniform(0, 90))[:3, :3].T
        half = rng.uniform(0.2, 0.8, 3)
        z = half[2] if k % 3 else rng.uniform(-0.2, 1.0)  # some rest on the floor, some sink
        cand = box(f"/B{k:03d}", (*rng.uniform(-6, 6, 2), z), half, rot, dynamic=True)
        hit = index.collides(cand)
        found = find_overlaps(placed + [cand])
        assert (hit is not None) == bool(found), k
        assert sorted(index.hits(cand)) == sorted(({o.a for o in found} | {o.b for o in found}) - {cand.body})
        assert hit is None or hit == index.hits(cand)[0]
        if hit is None:
            index.add(cand)
            placed.append(cand)
        else:
            rejected += 1
    assert find_overlaps(placed) == []
    assert 20 < rejected < 280 and len(index) == len(placed)
    # pair rules as find_overlaps: a static query sees only dynamic shapes, never its own body
    slab = box("/Slab", (0, 0, 0.2), (20, 20, 0.2))
    expected = sorted(o.a for o in find_overlaps(placed[1:] + [slab]))
    assert len(expected) > 20 and index.hits(slab) == expected
    assert all(index.hits(s) == [] for s in placed[1:])  # an indexed body does not hit itself


def test_bounds_and_rotated_keep_out():
    s = box("/s", (0, 0, 0.5), (0.5, 0.5, 0.5), dynamic=True)
    assert within_bounds(s, (-1, -1, 0), (1, 1, 1))
    assert not within_bounds(s, (-1, -1, 0.1), (1, 1, 1))
    # keep-out box in a frame rotated 45° about Z: coords (1.2..2, -0.2..0.2) in that frame
    r = _rot_z(45)[:3, :3].T
    assert not intersects_box(s, (1.3, -0.2, 0), (2, 0.2, 1), r)  # its near face is at 1.3 > 0.707
    assert intersects_box(s, (0.6, -0.2, 0), (2, 0.2, 1), r)
    assert not intersects_box(s, (0.6, -0.2, 0), (2, 0.2, 1))  # same numbers, axis-aligned: x >= 0.6


def test_transformed_matches_shape_from_prim():
    stage = Usd.Stage.CreateInMemory()
    c = UsdGeom.Capsule.Define(stage, "/Cap")
    UsdPhysics.CollisionAPI.Apply(c.GetPrim())
    a = Gf.Matrix4d().SetRotate(Gf.Rotation(Gf.Vec3d(1, 2, 3), 40)) * Gf.Matrix4d().SetTranslate(Gf.Vec3d(1, 2, 3))
    delta = Gf.Matrix4d().SetRotate(Gf.Rotation(Gf.Vec3d(0, 0, 1), 70)) * Gf.Matrix4d().SetTranslate(Gf.Vec3d(-4, 0, 1))
    moved = shape_from_prim(c.GetPrim(), a).transformed(np.array(delta))
    direct = shape_from_prim(c.GetPrim(), a * delta)
    np.testing.assert_allclose(moved.center, direct.center, atol=1e-12)
    np.testing.assert_allclose(moved.axis, direct.axis, atol=1e-12)
    np.testing.assert_allclose(moved.aabb()[0], direct.aabb()[0], atol=1e-12)


def test_many_boxes_quick():
    shapes = _grid_boxes(40)  # 1,600 resting boxes + floor, plus one intruder
    intruder = box("/X", (0.2, 0.2, 0.5), (0.3, 0.3, 0.3), dynamic=True)
    t0 = time.perf_counter()
    found = find_overlaps(shapes + [intruder])
    assert body_pairs(found) == {("/B0000", "/X")}
    assert time.perf_counter() - t0 < 30  # sanity only; timing lives in bench/


# --- helpers ------------------------------------------------------------------------------------

def _grid_boxes(n: int):
    out = [box("/Floor", (0, 0, -0.5), (n, n, 0.5))]
    for i in range(n):
        for j in range(n):  # 1.0 pitch, exactly touching neighbours and the floor
            out.append(box(f"/B{i * n + j:04d}", (i, j, 0.5), (0.5, 0.5, 0.5), dynamic=True))
    return out


def _translate(x, y, z) -> np.ndarray:
    return np.array(Gf.Matrix4d().SetTranslate(Gf.Vec3d(x, y, z)))


def _rot_z(deg) -> np.ndarray:
    return np.array(Gf.Matrix4d().SetRotate(Gf.Rotation(Gf.Vec3d(0, 0, 1), deg)))


def _rot(axis, deg) -> np.ndarray:
    """3x3 column-convention rotation (columns = rotated axes in world)."""
    return np.array(Gf.Matrix4d().SetRotate(Gf.Rotation(Gf.Vec3d(*axis), deg)))[:3, :3].T


def _rot_x(deg) -> np.ndarray:
    return _rot((1, 0, 0), deg)


def _rot_y(deg) -> np.ndarray:
    return _rot((0, 1, 0), deg)


def test_narrow_phase_paths_agree_on_random_pairs():
    """Box SAT fast path == generic hull SAT; sphere–box == closed-form closest point (both signs)."""
    from scipy.spatial.transform import Rotation

    from twinsplit.geometry import Shape, convex

    rng = np.random.default_rng(3)
    rots = Rotation.random(120, random_state=4).as_matrix()
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)])
    seen = {True: 0, False: 0}
    for k in range(60):
        ha, hb = rng.uniform(0.1, 1.0, 3), rng.uniform(0.1, 1.0, 3)
        a = box("/a", rng.uniform(-1, 1, 3), ha, rots[2 * k], dynamic=True)
        b = box("/b", rng.uniform(-1, 1, 3), hb, rots[2 * k + 1], dynamic=True)
        hull_b = convex("/b", b.center + (signs * hb) @ b.rotation.T, dynamic=True)
        d = penetration_depth(a, b)
        assert d == pytest.approx(penetration_depth(a, hull_b), abs=1e-9)
        seen[d > 0] += 1
        # sphere vs a: exact signed gap from the closest point in a's frame
        c = rng.uniform(-2, 2, 3)
        r = rng.uniform(0.05, 0.5)
        local = a.rotation.T @ (c - a.center)
        q = np.clip(local, -ha, ha)
        inside = np.all(np.abs(local) <= ha)
        expected = r + np.min(ha - np.abs(local)) if inside else r - np.linalg.norm(local - q)
        s = Shape("/s", "sphere", c, radius=r, dynamic=True)
        assert penetration_depth(a, s) == pytest.approx(expected, abs=1e-9)
    assert seen[True] > 5 and seen[False] > 5
