"""The batch geometry (ShapeSet, resting, xform_ops) agrees with the scalar code and with USD."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pxr import Gf, Usd, UsdGeom
from scipy.spatial.transform import Rotation

from twinsplit.geometry import box, find_overlaps
from twinsplit.geometry.batch import ShapeSet, overlapping
from twinsplit.geometry.resting import Footings, Tops, footing, supported
from twinsplit.geometry.xform_ops import local_matrix, op_matrices, op_matrix

UP, PLANE, TOL = 2, (0, 1), 1e-4


def _boxes(seed: int, n: int) -> list:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        rot = Rotation.from_euler("zx", [rng.uniform(0, 90), rng.uniform(0, 30) * (k % 3 == 0)], degrees=True)
        half = rng.uniform(0.05, 0.6, 3) * (4 if k % 17 == 0 else 1)
        out.append(box(f"/b{k}", rng.uniform(0, 8, 3) * [1, 1, 0.1], half, rot.as_matrix(), dynamic=k % 5 != 0))
    out.append(box("/floor", [4, 4, -0.5], [10, 10, 0.5]))
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 120))
def test_batch_overlaps_equal_find_overlaps(seed, n):
    shapes = _boxes(seed, n)
    ia, ib, depth = overlapping(ShapeSet.of(shapes), ShapeSet.of(shapes), TOL)
    got = {}
    for i, j, d in zip(ia, ib, depth, strict=True):
        key = tuple(sorted((shapes[i].body, shapes[j].body)))
        got[key] = max(got.get(key, 0.0), d)
    want = {(o.a, o.b): o.depth for o in find_overlaps(shapes, tolerance=TOL)}
    assert set(got) == set(want)
    assert all(abs(got[k] - want[k]) < 1e-12 for k in want)


def test_moved_set_equals_moving_each_shape():
    shapes = _boxes(3, 60)
    rng = np.random.default_rng(1)
    d = np.tile(np.eye(4), (len(shapes), 1, 1))
    d[:, :3, :3] = np.swapaxes(Rotation.from_euler("z", rng.uniform(-40, 40, (len(shapes), 1)), degrees=True)
                               .as_matrix(), 1, 2)
    d[:, 3, :3] = rng.uniform(-1, 1, (len(shapes), 3))
    moved = ShapeSet.of(shapes).moved(d)
    each = [s.transformed(d[k]) for k, s in enumerate(shapes)]
    assert np.allclose(moved.lo, [s.aabb()[0] for s in each]) and np.allclose(moved.hi, [s.aabb()[1] for s in each])
    got = {tuple(sorted((shapes[i].body, shapes[j].body))) for i, j, _ in zip(*overlapping(moved, moved, TOL),
                                                                              strict=True)}
    assert got == {(o.a, o.b) for o in find_overlaps(each, tolerance=TOL)}


def _supported(body, statics, delta=None):
    tops = Tops.of(ShapeSet.of(statics), UP, PLANE)
    d = np.eye(4)[None] if delta is None else delta[None]
    return bool(supported(Footings.of([footing([body], UP, PLANE, TOL)]), d, tops, UP, PLANE, TOL)[0])


FLOOR = box("/floor", [0, 0, -0.5], [10, 10, 0.5])
POSTS = [box("/p1", [-1, 0, 0.5], [0.1, 0.1, 0.5]), box("/p2", [1, 0, 0.5], [0.1, 0.1, 0.5])]
SHELF = box("/shelf", [5, 0, 0.5], [0.5, 0.5, 0.5])  # top at z = 1, edge at x = 5.5


@pytest.mark.parametrize(("body", "expected"), [
    (box("/crate", [2, 2, 0.25], [0.25] * 3, dynamic=True), True),  # on the floor
    (box("/lintel", [0, 0, 1.05], [1.2, 0.1, 0.05], dynamic=True), True),  # on two posts, nothing under its centre
    (box("/over", [5.45, 0, 1.1], [0.2, 0.2, 0.1], dynamic=True), True),  # a quarter over the shelf edge
    (box("/off", [5.6, 0, 1.1], [0.2, 0.2, 0.1], dynamic=True), False),  # its centre beyond the edge
    (box("/air", [2, 2, 3.0], [0.25] * 3, dynamic=True), False),  # nothing under it
    (box("/sunk", [2, -2, 0.246], [0.25] * 3, dynamic=True), False),  # 4 mm into the floor: not without a sink
])
def test_supported_means_centre_of_mass_over_contacts(body, expected):
    assert _supported(body, [FLOOR, *POSTS, SHELF]) is expected


def test_a_sunk_base_stands_on_what_it_sinks_into():
    body = box("/sunk", [2, -2, 0.246], [0.25] * 3, dynamic=True)
    tops = Tops.of(ShapeSet.of([FLOOR]), UP, PLANE)
    feet = Footings.of([footing([body], UP, PLANE, TOL)])
    assert supported(feet, np.eye(4)[None], tops, UP, PLANE, TOL, np.array([0.004 + TOL]))[0]


def test_moving_a_lintel_off_one_post_leaves_it_balanced_only_over_the_other():
    lintel = box("/lintel", [0, 0, 1.05], [1.2, 0.1, 0.05], dynamic=True)
    d = np.eye(4)
    d[3, 0] = 1.0  # its centre now right over post 2
    assert _supported(lintel, [FLOOR, *POSTS], d)
    d[3, 0] = 1.5  # its centre past post 2
    assert not _supported(lintel, [FLOOR, *POSTS], d)


OPS = ["Translate", "Scale", "RotateX", "RotateY", "RotateZ", "RotateXYZ", "RotateXZY", "RotateYXZ", "RotateYZX",
       "RotateZXY", "RotateZYX", "Orient"]


@pytest.mark.parametrize("op_type", OPS)
@pytest.mark.parametrize("inverse", [False, True])
def test_op_matrices_equal_usd(op_type, inverse):
    stage = Usd.Stage.CreateInMemory()
    rng = np.random.default_rng(len(op_type))
    values, want = [], []
    for k in range(6):
        xf = UsdGeom.Xformable(stage.DefinePrim(f"/P{k}", "Xform"))
        op = xf.AddXformOp(getattr(UsdGeom.XformOp, f"Type{op_type}"), UsdGeom.XformOp.PrecisionDouble)
        if op_type == "Orient":
            q = rng.normal(size=4)
            q /= np.linalg.norm(q)
            op.Set(Gf.Quatd(*q))
            values.append(q)
        elif op_type in ("RotateX", "RotateY", "RotateZ"):
            v = float(rng.uniform(-180, 180))
            op.Set(v)
            values.append([v])
        else:
            v = rng.uniform(0.5, 2, 3) if op_type == "Scale" else rng.uniform(-180, 180, 3)
            op.Set(Gf.Vec3d(*v))
            values.append(v)
        m = np.array(xf.GetLocalTransformation())
        want.append(np.linalg.inv(m) if inverse else m)  # what `!invert!` does to an op
    got = op_matrices(op_type, values, inverse)
    assert np.allclose(got, want, atol=1e-9)
    assert np.allclose(op_matrix(op_type, values[0] if len(values[0]) > 1 else values[0][0], inverse), want[0])


def test_op_order_matches_usd():
    stage = Usd.Stage.CreateInMemory()
    xf = UsdGeom.Xformable(stage.DefinePrim("/S", "Xform"))
    xf.AddTranslateOp().Set(Gf.Vec3d(1, 2, 3))
    xf.AddRotateXYZOp().Set(Gf.Vec3f(10, 20, 30))
    xf.AddScaleOp().Set(Gf.Vec3f(1, 2, 3))
    got = local_matrix([("Translate", (1, 2, 3), False), ("RotateXYZ", (10, 20, 30), False),
                        ("Scale", (1, 2, 3), False)])
    assert np.allclose(got, np.array(xf.GetLocalTransformation()), atol=1e-6)
