"""randomize.layout: rearranged variants stay physically valid (checked independently on the written USD)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import trimesh
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

# --------------------------------------------------------------------------------------------------
# stages, built with pxr


def _stage(path: Path, up: str = "Z", mpu: float = 1.0, default_prim: bool = True) -> Usd.Stage:
    stage = Usd.Stage.CreateNew(str(path))
    UsdGeom.SetStageUpAxis(stage, up)
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    UsdPhysics.SetStageKilogramsPerUnit(stage, 1.0)
    world = UsdGeom.Xform.Define(stage, "/World")
    if default_prim:
        stage.SetDefaultPrim(world.GetPrim())
    UsdPhysics.Scene.Define(stage, "/World/PhysicsScene")
    return stage


def _vec(x: float, y: float, h: float, up: str) -> Gf.Vec3d:
    """A world point from horizontal (x, y) and height h, for either up axis (Y-up: y -> -z)."""
    return Gf.Vec3d(x, h, -y) if up == "Y" else Gf.Vec3d(x, y, h)


def _cube(stage, path, centre: Gf.Vec3d, size: tuple, *, body: bool, ops: str = "tos", yaw: float = 0.0,
          up: str = "Z", labels=()):
    """A collider cube of world `size` (sx, sy, sz along x, y, z) whose ops follow `ops`:
    tos = translate/orient/scale (double/float/float), trs = translate(float)/rotateXYZ/scale,
    mat = one xformOp:transform, piv = translate + translate:pivot + orient(quatd) + scale + !invert! pivot,
    t = translate only."""
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    prim = cube.GetPrim()
    x = UsdGeom.Xformable(prim)
    axis = Gf.Vec3d(0, 1, 0) if up == "Y" else Gf.Vec3d(0, 0, 1)
    rot = Gf.Rotation(axis, yaw)
    if ops == "tos":
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(centre)
        x.AddOrientOp().Set(Gf.Quatf(rot.GetQuat()))
        x.AddScaleOp().Set(Gf.Vec3f(*size))
    elif ops == "trs":
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionFloat).Set(Gf.Vec3f(centre))
        x.AddRotateXYZOp().Set(Gf.Vec3f(0, yaw, 0) if up == "Y" else Gf.Vec3f(0, 0, yaw))
        x.AddScaleOp().Set(Gf.Vec3f(*size))
    elif ops == "mat":
        m = Gf.Matrix4d().SetScale(Gf.Vec3d(*size)) * Gf.Matrix4d().SetRotate(rot) * Gf.Matrix4d().SetTranslate(centre)
        x.AddTransformOp().Set(m)
    elif ops == "piv":
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(centre - Gf.Vec3d(0.1, 0, 0))
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble, "pivot").Set(Gf.Vec3d(0.1, 0, 0))
        x.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(rot.GetQuat())
        x.AddScaleOp().Set(Gf.Vec3f(*size))
        x.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble, "pivot", isInverseOp=True)
    elif ops == "t":
        assert size == (1, 1, 1) or mpu_free(size)
        x.AddTranslateOp().Set(centre)
        cube.GetSizeAttr().Set(float(size[0]))
    UsdPhysics.CollisionAPI.Apply(prim)
    if body:
        UsdPhysics.RigidBodyAPI.Apply(prim)
        UsdPhysics.MassAPI.Apply(prim).CreateMassAttr(5.0)
        prim.AddAppliedSchema("PhysxRigidBodyAPI")  # unknown to usd-core: must not matter
    if labels:
        prim.CreateAttribute("semantics:labels:class", Sdf.ValueTypeNames.TokenArray).Set(list(labels))
    return prim


def mpu_free(size) -> bool:
    return len(set(size)) == 1


def _region(stage, path, kind, centre: Gf.Vec3d, size: Gf.Vec3d):
    cube = UsdGeom.Cube.Define(stage, path)
    cube.CreateSizeAttr(1.0)
    cube.CreatePurposeAttr(UsdGeom.Tokens.guide)
    x = UsdGeom.Xformable(cube.GetPrim())
    x.AddTranslateOp().Set(centre)
    x.AddScaleOp().Set(Gf.Vec3f(size))
    cube.GetPrim().CreateAttribute("twinsplit:region", Sdf.ValueTypeNames.Token, custom=True).Set(kind)


def room(stage, half: float, wall_h: float = 2.0, up: str = "Z", k: float = 1.0):
    """Floor (top at height 0) and four walls whose inner faces are `half` metres from the centre; k = 1/mpu."""
    t = 0.2
    size = lambda sx, sy, sz: (sx * k, sz * k, sy * k) if up == "Y" else (sx * k, sy * k, sz * k)  # noqa: E731
    _cube(stage, "/World/Building/Floor", _vec(0, 0, -0.05 * k, up), size(2 * half + 1, 2 * half + 1, 0.1),
          body=False, up=up)
    for name, (x, y, sx, sy) in {"N": (0, half + t / 2, 2 * half + 2 * t, t),
                                 "S": (0, -half - t / 2, 2 * half + 2 * t, t),
                                 "E": (half + t / 2, 0, t, 2 * half), "W": (-half - t / 2, 0, t, 2 * half)}.items():
        _cube(stage, f"/World/Building/Wall_{name}", _vec(x * k, y * k, wall_h / 2 * k, up), size(sx, sy, wall_h),
              body=False, up=up)


def crowded(path: Path, n: int = 6, gap: float = 0.1) -> Path:
    """n x n one-metre boxes, `gap` apart, 0.3 m from the walls: naive ±0.3 m jitter overlaps."""
    stage = _stage(path)
    span = n + (n - 1) * gap
    room(stage, span / 2 + 0.3)
    for i in range(n):
        for j in range(n):
            x, y = -span / 2 + 0.5 + i * (1 + gap), -span / 2 + 0.5 + j * (1 + gap)
            _cube(stage, f"/World/Boxes/Box_{i}_{j}", Gf.Vec3d(x, y, 0.5), (1, 1, 1), body=True)
    stage.Save()
    return path


# --------------------------------------------------------------------------------------------------
# independent checks: world boxes from the composed stage, numpy SAT, trimesh for corners/containment


def world_boxes(stage: Usd.Stage, under: str = "/World") -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """path -> (centre, axes as columns (unit), half extents) of every active collider Cube."""
    cache = UsdGeom.XformCache()
    out = {}
    for prim in Usd.PrimRange(stage.GetPrimAtPath(under)):
        if not prim.IsA(UsdGeom.Cube) or not prim.HasAPI(UsdPhysics.CollisionAPI):
            continue
        m = np.array(cache.GetLocalToWorldTransform(prim)).reshape(4, 4)
        half = 0.5 * UsdGeom.Cube(prim).GetSizeAttr().Get()
        rows = m[:3, :3]
        scale = np.linalg.norm(rows, axis=1)
        out[str(prim.GetPath())] = (m[3, :3], (rows / scale[:, None]).T, half * scale)
    return out


def sat_depth(a, b) -> float:
    """Penetration depth of two oriented boxes by the 15-axis separating axis test (> 0 overlaps)."""
    (ca, ra, ha), (cb, rb, hb) = a, b
    axes = [ra[:, i] for i in range(3)] + [rb[:, i] for i in range(3)]
    axes += [np.cross(ra[:, i], rb[:, j]) for i in range(3) for j in range(3)]
    best = math.inf
    for u in axes:
        n = np.linalg.norm(u)
        if n < 1e-9:
            continue
        u = u / n
        ra_ = np.sum(np.abs(u @ ra) * ha)
        rb_ = np.sum(np.abs(u @ rb) * hb)
        best = min(best, ra_ + rb_ - abs(u @ (cb - ca)))
    return best


def overlaps(boxes: dict, tol: float, movable: str = "/World/Boxes") -> list[tuple[str, str, float]]:
    names = sorted(boxes)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if not (a.startswith(movable) or b.startswith(movable)):
                continue
            d = sat_depth(boxes[a], boxes[b])
            if d > tol:
                out.append((a, b, d))
    return out


def trimesh_box(centre, axes, half) -> trimesh.Trimesh:
    m = np.eye(4)
    m[:3, :3] = axes
    m[:3, 3] = centre
    return trimesh.creation.box(extents=2 * np.asarray(half), transform=m)


def variant(out: Path, split: str, i: int) -> Usd.Stage:
    return Usd.Stage.Open(str(out / split / f"{split}-{i:05d}.usdc"))


def values(out: Path, split: str, i: int) -> dict:
    return json.loads((out / split / f"{split}-{i:05d}.values.json").read_text())


def config(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "layout.yaml"
    p.write_text("seeds: {train: 7, holdout: 8}\nrandomize:\n  layout:\n" + text)
    return p


# --------------------------------------------------------------------------------------------------


def test_crowded_grid_has_no_overlaps_checked_independently(tmp_path, run_cli):
    src = crowded(tmp_path / "grid.usda")
    cfg = config(tmp_path, "    offset: {low: -0.3, high: 0.3}\n    yaw: {low: -15, high: 15}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2)
    source = world_boxes(Usd.Stage.Open(str(src)))
    # the test is meaningful: naive jitter from the same ranges overlaps at once
    rng = np.random.default_rng(0)
    naive = {}
    for p, (c, r, h) in source.items():
        if p.startswith("/World/Boxes"):
            t = math.radians(rng.uniform(-15, 15))
            rz = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0], [0, 0, 1]])
            c = c + np.r_[rng.uniform(-0.3, 0.3, 2), 0.0]
            r = rz @ r
        naive[p] = (c, r, h)
    assert overlaps(naive, 1e-4)
    moved = 0
    for split, n in (("train", 4), ("holdout", 2)):
        for i in range(n):
            boxes = world_boxes(variant(out, split, i))
            assert overlaps(boxes, 1e-4) == [], f"{split}-{i}"
            for p, (c, r, h) in boxes.items():
                c0 = source[p][0]
                assert abs(c[2] - c0[2]) < 1e-9  # same height: still on the floor
                assert np.all(np.abs(c[:2] - c0[:2]) <= 0.3 + 1e-6)
                moved += bool(np.linalg.norm(c - c0) > 1e-6)
                if p.startswith("/World/Boxes"):  # inside the walls: corners (trimesh) within the room
                    corners = trimesh_box(c, r, h).vertices
                    assert np.all(np.abs(corners[:, :2]) <= 3.55 + 0.3 + 1e-6) and corners[:, 2].min() > -1e-6
    assert moved >= 6  # boxes on the rim have room and do move
    result = run_cli("verify", out)
    assert "ok    layout: 6 variants" in result.output


def _corridor_room(path: Path) -> Path:
    """A 10 m room, a 2 m corridor strip along y = 0, a crate touching its edge on each side."""
    stage = _stage(path)
    room(stage, 5.0)
    _region(stage, "/World/Regions/Corridor", "corridor", Gf.Vec3d(0, 0, 1), Gf.Vec3d(10, 2, 2))
    _region(stage, "/World/Regions/Dock", "keepout", Gf.Vec3d(4, 4, 1), Gf.Vec3d(2, 2, 2))
    for k, x in enumerate((-3.0, -1.0, 1.0, 3.0)):
        _cube(stage, f"/World/Crates/Crate_{k}", Gf.Vec3d(x, 1.3, 0.3), (0.6, 0.6, 0.6), body=True, labels=["crate"])
        _cube(stage, f"/World/Crates/Crate_{k}S", Gf.Vec3d(x, -1.3, 0.3), (0.6, 0.6, 0.6), body=True, labels=["crate"])
    stage.Save()
    return path


def test_bounds_and_per_split_keep_out(tmp_path, run_cli):
    src = _corridor_room(tmp_path / "room.usda")
    cfg = config(tmp_path, "    offset: {low: -0.5, high: 0.5}\n    yaw: {low: -20, high: 20}\n"
                           "    keep_out: {train: [corridor, keepout], holdout: [keepout]}\n"
                           "    bounds: {min: [-4, -4, -1], max: [3.5, 4, 3]}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 6)
    corridor = (np.zeros(3) + [0, 0, 1], np.eye(3), np.array([5.0, 1.0, 50.0]))  # tall prism
    entered = {"train": 0, "holdout": 0}
    for split in ("train", "holdout"):
        for i in range(6):
            for p, (c, r, h) in world_boxes(variant(out, split, i), "/World/Crates").items():
                corners = trimesh_box(c, r, h).vertices
                assert corners[:, 0].min() >= -4 - 1e-6 and corners[:, 0].max() <= 3.5 + 1e-6, (split, i, p)
                assert corners[:, 1].min() >= -4 - 1e-6 and corners[:, 1].max() <= 4 + 1e-6
                entered[split] += sat_depth((c, r, h), corridor) > 1e-4
    assert entered["train"] == 0
    assert entered["holdout"] > 0  # the corridor may be blocked in holdout, as configured
    result = run_cli("verify", out)
    assert "ok    layout" in result.output


def test_keep_out_takes_a_path_glob_like_every_region_reference(tmp_path, run_cli):
    """One region resolver: a glob in keep_out resolves as it does in an event's region, to the same variants as
    naming the region; a glob that matches nothing fails with the one error text (where, ref, known regions)."""
    src = _corridor_room(tmp_path / "room.usda")
    files = []
    for name, ref in (("glob", "'/World/Regions/Corr*'"), ("kind", "corridor")):
        cfg = config(tmp_path, f"    offset: {{low: -0.5, high: 0.5}}\n    keep_out: [{ref}, keepout]\n")
        run_cli("generate", src, "--config", cfg, "--out", tmp_path / name, "--train", 4, "--holdout", 2)
        files.append({p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                      for p in sorted((tmp_path / name).glob("*/*-*.usdc"))})
    assert files[0] == files[1] and len(files[0]) == 6
    corridor = (np.array([0.0, 0.0, 1.0]), np.eye(3), np.array([5.0, 1.0, 50.0]))
    for split, n in (("train", 4), ("holdout", 2)):
        for i in range(n):
            for c, r, h in world_boxes(variant(tmp_path / "glob", split, i), "/World/Crates").values():
                assert sat_depth((c, r, h), corridor) <= 1e-4
    cfg = config(tmp_path, "    offset: {low: -0.1, high: 0.1}\n    keep_out: ['/World/Regions/Nope*']\n")
    out = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "x", "--train", 1, "--holdout", 1,
                  expect=1).output
    assert "randomize.layout[0].keep_out: region '/World/Regions/Nope*' does not exist in room.usda (known: " in out
    assert "/World/Regions/Corridor" in out and "keepout" in out


def test_nothing_can_move_fails_naming_the_layout_block(tmp_path, run_cli):
    """Two boxes wedged in a closet (overlapping each other and the walls in the source) stay where they are;
    with nothing else drawn every variant is the source again, and the error says why."""
    stage = _stage(tmp_path / "closet.usda")
    room(stage, 0.55)  # a 1.1 m closet
    _cube(stage, "/World/Boxes/A", Gf.Vec3d(0, 0.1, 0.5), (1, 1, 1), body=True)
    _cube(stage, "/World/Boxes/B", Gf.Vec3d(0, -0.1, 0.5), (1, 1, 1), body=True)  # overlaps A in the source
    stage.Save()
    cfg = config(tmp_path, "    offset: {low: -0.2, high: 0.2}\n    yaw: {low: -30, high: 30}\n    max_tries: 7\n")
    result = run_cli("generate", tmp_path / "closet.usda", "--config", cfg, "--out", tmp_path / "o",
                     "--train", 1, "--holdout", 1, expect=1)
    assert "randomize.layout[0] drew only zeros" in result.output and "leave no room" in result.output
    assert not (tmp_path / "o").exists()


def test_a_unit_that_cannot_be_placed_stays_and_the_manifest_says_so(tmp_path, run_cli):
    """A cart parked in a keep-out region that no drawn offset leaves stays where it was: the run never fails
    for it, the variant's manifest entry lists it, and verify passes (it was not moved into anything)."""
    src = _corridor_room(tmp_path / "room.usda")
    stage = Usd.Stage.Open(str(src))
    _cube(stage, "/World/Crates/Cart", Gf.Vec3d(-1, 0, 0.3), (0.6, 0.6, 0.6), body=True)  # parked in the corridor
    stage.Save()
    cfg = config(tmp_path, "    offset: {low: -0.1, high: 0.1}\n    keep_out: [corridor]\n    max_tries: 5\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2)
    manifest = json.loads((out / "manifest.json").read_text())
    for v in manifest["variants"]:
        note = v["notes"]["randomize.layout[0]"]
        assert "/World/Crates/Cart" in note["unmoved"] and note["units"] > len(note["unmoved"])
        assert not any(k.startswith("/World/Crates/Cart.") for k in values(out, v["split"], int(v["id"][-5:])))
    run_cli("verify", out)


def test_removal_and_swap_are_recorded(tmp_path, run_cli):
    src = _corridor_room(tmp_path / "room.usda")
    cfg = config(tmp_path, "    remove_probability: 0.4\n    swap: [[crate]]\n    offset: {low: -0.05, high: 0.05}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 3)
    manifest = json.loads((out / "manifest.json").read_text())
    keys = {p["key"] for p in manifest["parameters"]}
    assert {"dx", "dy", "removed", "slot"} <= keys
    source = world_boxes(Usd.Stage.Open(str(src)), "/World/Crates")
    originals = np.array([c for c, _, _ in source.values()])
    removed_seen = swapped_seen = 0
    for i in range(6):
        vals = values(out, "train", i)
        off = {k.removesuffix(".active") for k, v in vals.items() if k.endswith(".active") and v is False}
        stage = variant(out, "train", i)
        for p in source:
            assert stage.GetPrimAtPath(p).IsActive() == (p not in off)
        removed_seen += len(off)
        boxes = world_boxes(stage, "/World/Crates")
        assert set(boxes) == set(source) - off
        for p, (c, _, _) in boxes.items():
            # every crate sits on some crate's original spot (± the 5 cm jitter), same height
            d = np.abs(originals - c).max(axis=1)
            assert d.min() <= 0.05 + 1e-6
            swapped_seen += int(np.argmin(d)) != list(source).index(p)
        assert overlaps(boxes, 1e-4, "/World/Crates") == []
    assert removed_seen > 0 and swapped_seen > 0
    run_cli("verify", out)


def test_verify_reports_a_hand_edited_overlap(tmp_path, run_cli):
    src = _corridor_room(tmp_path / "room.usda")
    cfg = config(tmp_path, "    offset: {low: -0.2, high: 0.2}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 1)
    path = out / "train" / "train-00000.usdc"
    layer = Sdf.Layer.FindOrOpen(str(path))
    attr = layer.GetAttributeAtPath("/World/Crates/Crate_1.xformOp:translate")
    attr.default = Gf.Vec3d(-1.3, 1.3, 0.3)  # 0.3 m into Crate_0's neighbourhood... onto it
    layer.GetAttributeAtPath("/World/Crates/Crate_0.xformOp:translate").default = Gf.Vec3d(-1.5, 1.3, 0.3)
    layer.Save()
    result = run_cli("verify", out, expect=1)
    line = next(ln for ln in result.output.splitlines() if "interpenetrate" in ln)
    assert "train/train-00000.usdc" in line and "/World/Crates/Crate_0" in line and "/World/Crates/Crate_1" in line
    assert "FAIL  layout" in result.output or "layout" in result.output.split("interpenetrate")[0]


def _op_styles(tmp_path: Path, up: str = "Y", k: float = 100.0) -> tuple[Path, Path]:
    """(stage, config): cm, Y-up, no default prim; bodies with translate/orient/scale, float rotateXYZ, a matrix
    op, pivots, translate only."""
    stage = _stage(tmp_path / "cm.usda", up=up, mpu=0.01, default_prim=False)
    room(stage, 3.0, up=up, k=k)
    styles = ["tos", "trs", "mat", "piv", "t"]
    for n, ops in enumerate(styles):
        x = -2.0 + n
        size = (k * 0.5,) * 3 if ops == "t" else (k * 0.6, k * 0.4, k * 0.5)
        h = size[1] / 2
        _cube(stage, f"/World/Things/T_{ops}", _vec(x * k, 0.5 * k, h, up), size, body=True, ops=ops, yaw=10.0, up=up)
    stage.Save()
    return tmp_path / "cm.usda", config(tmp_path, "    offset: {low: -0.3, high: 0.3}\n    yaw: {low: -45, high: 45}\n")


def test_centimetre_y_up_and_every_op_style(tmp_path, run_cli):
    """cm, Y-up, no default prim; translate/orient/scale, float rotateXYZ, a matrix op, pivots, translate only."""
    k = 100.0
    src, cfg = _op_styles(tmp_path)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2)
    before = world_boxes(Usd.Stage.Open(str(src)))
    vals = values(out, "train", 0)
    # each prim keeps its own op style where it can; float ops are written as float32
    assert "/World/Things/T_trs.xformOp:rotateXYZ" in vals and "/World/Things/T_piv.xformOp:orient" in vals
    assert "/World/Things/T_mat.xformOp:transform" in vals and "/World/Things/T_mat.xformOpOrder" not in vals
    assert vals["/World/Things/T_t.xformOpOrder"] == ["xformOp:transform"]
    assert all(float(np.float32(v)) == v for v in vals["/World/Things/T_trs.xformOp:translate"])
    for split, n in (("train", 3), ("holdout", 2)):
        for i in range(n):
            boxes = world_boxes(variant(out, split, i))
            assert overlaps(boxes, 1e-4 * k, "/World/Things") == []
            for p in (q for q in boxes if q.startswith("/World/Things")):
                c, r, h = boxes[p]
                c0, r0, h0 = before[p]
                assert abs(c[1] - c0[1]) < 1e-3  # height (Y) unchanged
                assert np.all(np.abs((c - c0)[[0, 2]]) <= 0.3 * k + 1e-3)  # metres -> centimetres
                assert np.allclose(np.sort(h), np.sort(h0), rtol=1e-5)  # rigid: same box
                assert abs(r[1, 1]) > 1 - 1e-5  # still upright: local Y is world Y
    run_cli("verify", out)


def test_verify_reads_the_same_poses_from_the_plan_arrays_and_from_the_file(tmp_path, run_cli):
    """verify takes a byte-identical variant's layout values as arrays (write.layer.Authored) instead of reading
    the file back: both readings give every moved prim the same world delta, for every op style."""
    from twinsplit.config import load_config
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load
    from twinsplit.scene.shapes import scene_shapes
    from twinsplit.scene.xforms import scene_xforms
    from twinsplit.verify.variant_poses import SourcePoses
    from twinsplit.write.layer import Authored
    from twinsplit.write.readback import layer_values

    src, cfg = _op_styles(tmp_path)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2, "--seed-train", 5,
            "--seed-holdout", 6)
    _, scene = load(out / "source" / "cm.usda")
    plan = make_plan(scene, load_config(cfg), 3, 2, {"train": 5, "holdout": 6})
    poses = SourcePoses(scene_shapes(scene), lambda paths: scene_xforms(scene, paths), scene.up_index, 1e-2)
    compared = 0
    for split, n in (("train", 3), ("holdout", 2)):
        for i in range(n):
            authored = Authored(plan.batch(split, i))
            assert authored.columns  # the bodies that keep their ops: arrays
            assert dict(authored.items()) == layer_values(out / split / f"{split}-{i:05d}.usdc")[0]
            fast, _, f1 = poses.deltas(authored)
            read, _, f2 = poses.deltas(layer_values(out / split / f"{split}-{i:05d}.usdc")[0])
            assert f1 == f2 == []
            assert sorted(fast) == sorted(read) and len(fast) == 5
            for p in fast:
                assert np.allclose(fast[p], read[p], rtol=0, atol=1e-12), p
            compared += len(fast)
    assert compared == 25


def test_same_seeds_same_bytes(tmp_path, run_cli):
    src = crowded(tmp_path / "grid.usda", n=4, gap=0.3)
    cfg = config(tmp_path, "    offset: {low: -0.3, high: 0.3}\n    yaw: {low: -15, high: 15}\n"
                           "    remove_probability: 0.2\n")
    runs = []
    for name in ("a", "b"):
        run_cli("generate", src, "--config", cfg, "--out", tmp_path / name, "--train", 3, "--holdout", 2)
        runs.append({p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                     for p in sorted((tmp_path / name).rglob("*")) if p.is_file()})
    assert runs[0] == runs[1]
    from twinsplit.write.readback import layer_values

    assert any(k.endswith(".xformOp:orient") for k in layer_values(tmp_path / "a" / "train" / "train-00000.usdc")[0])


def test_config_errors_name_the_problem(tmp_path, run_cli):
    src = _corridor_room(tmp_path / "room.usda")
    for text, message in [
        ("    keep_out: [nowhere]\n    offset: {low: -0.1, high: 0.1}\n", "region 'nowhere' does not exist"),
        ("    swap: [[nolabel]]\n", "swap[0]"),
        ("    match: {paths: ['/World/Nothing/*']}\n    yaw: {low: -5, high: 5}\n", "matched no prim"),
        ("    max_tries: 50\n", "set at least one of offset, yaw"),
        ("    offset: {low: -0.1, high: 0.1, operation: scale}\n", "operation must be abs"),
    ]:
        cfg = config(tmp_path, text)
        result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 1, "--holdout", 1,
                         expect=1)
        assert message in result.output, (text, result.output)


def test_two_blocks_whose_bodies_can_meet_are_refused(tmp_path, run_cli):
    src = _corridor_room(tmp_path / "room.usda")
    ok = config(tmp_path, "    - match: {paths: ['/World/Crates/Crate_0']}\n      offset: {low: -0.2, high: 0.2}\n"
                          "    - match: {paths: ['/World/Crates/Crate_3']}\n      offset: {low: -0.2, high: 0.2}\n")
    run_cli("generate", src, "--config", ok, "--out", tmp_path / "a", "--train", 2, "--holdout", 1)
    run_cli("verify", tmp_path / "a")
    near = config(tmp_path, "    - match: {paths: ['/World/Crates/Crate_0']}\n      offset: {low: -0.8, high: 0.8}\n"
                            "    - match: {paths: ['/World/Crates/Crate_1']}\n      offset: {low: -0.8, high: 0.8}\n")
    result = run_cli("generate", src, "--config", near, "--out", tmp_path / "b", "--train", 2, "--holdout", 1, expect=1)
    assert "randomize.layout[1] and randomize.layout[0] move bodies that can reach each other" in result.output
    assert "/World/Crates/Crate_1 and /World/Crates/Crate_0" in result.output


# --------------------------------------------------------------------------------------------------
# stages written by other tools: nested bodies, instances


USDA = '#usda 1.0\n(\n    defaultPrim = "World"\n    metersPerUnit = 1\n    upAxis = "Z"\n)\n'
FLOOR = """
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, 0, -0.05)
        float3 xformOp:scale = (20, 20, 0.1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
"""


def _world(prim_path: str, stage: Usd.Stage) -> np.ndarray:
    return np.array(UsdGeom.XformCache().GetLocalToWorldTransform(stage.GetPrimAtPath(prim_path)))


def test_body_nested_under_a_moved_body_moves_with_it(tmp_path, run_cli):
    """A cart body with a nested wheel body: the wheel inherits the cart's move, so it must be placed and
    written as part of the cart (it used to get its own move on top of the cart's: moved twice)."""
    src = tmp_path / "cart.usda"
    src.write_text(USDA + 'def Xform "World"\n{' + FLOOR + """
    def Xform "Cart" (prepend apiSchemas = ["PhysicsRigidBodyAPI"])
    {
        double3 xformOp:translate = (0, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
        def Cube "Base" (prepend apiSchemas = ["PhysicsCollisionAPI"])
        {
            double size = 1
            double3 xformOp:translate = (0, 0, 0.25)
            float3 xformOp:scale = (1, 1, 0.5)
            uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
        }
        def Cube "Wheel" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
        {
            double size = 0.2
            double3 xformOp:translate = (2, 0, 0.1)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }
    }
}
""")
    cfg = config(tmp_path, "    offset: {low: -1, high: 1}\n    yaw: {low: -40, high: 40}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 1)
    source = Usd.Stage.Open(str(src))
    rel0 = _world("/World/Cart/Wheel", source) @ np.linalg.inv(_world("/World/Cart", source))
    for i in range(3):
        stage = variant(out, "train", i)
        assert not np.allclose(_world("/World/Cart", stage), _world("/World/Cart", source))
        rel = _world("/World/Cart/Wheel", stage) @ np.linalg.inv(_world("/World/Cart", stage))
        assert np.allclose(rel, rel0, atol=1e-9), i  # the wheel stays on its cart
    run_cli("verify", out)


INSTANCED = USDA + """
class Xform "Protos"
{
    def Xform "Carton"
    {
        def Cube "Body" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
        {
            double size = 0.4
            double3 xformOp:translate = (0, 0, 0.2)
            uniform token[] xformOpOrder = ["xformOp:translate"]
        }
    }
}

def Xform "World"
{""" + FLOOR + """
    def Cube "Pallet" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, 0, 0.1)
        float3 xformOp:scale = (1.2, 1.0, 0.2)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Xform "Carton_0" (instanceable = true; prepend references = </Protos/Carton>)
    {
        double3 xformOp:translate = (0, 0, 0.2)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def Xform "Carton_1" (instanceable = true; prepend references = </Protos/Carton>)
    {
        double3 xformOp:translate = (3, 0, 0)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
}
"""


def test_rider_inside_an_instance_is_refused_by_name(tmp_path, run_cli):
    """A carton body inside an instance rests on a pallet: an `over` on an instance proxy is ignored by
    USD, so moving the pallet would leave the carton behind while claiming it moved."""
    src = tmp_path / "inst.usda"
    src.write_text(INSTANCED)
    cfg = config(tmp_path, "    match: {paths: [/World/Pallet]}\n    offset: {low: -1, high: 1}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1,
                     expect=1)
    assert "/World/Carton_0/Body" in result.output and "instance /World/Carton_0" in result.output
    assert "/World/Pallet" in result.output
    # an instance whose root is the rigid body can be moved: the over is on the instance prim itself
    src = tmp_path / "inst_root_body.usda"
    src.write_text(INSTANCED.replace('def Xform "Carton_1" (', 'def Xform "Carton_1" (prepend apiSchemas = '
                                     '["PhysicsRigidBodyAPI"]; ').replace('def Cube "Body" (prepend apiSchemas = '
                                     '["PhysicsRigidBodyAPI", ', 'def Cube "Body" (prepend apiSchemas = ['))
    cfg = config(tmp_path, "    match: {paths: [/World/Carton_1]}\n    offset: {low: -1, high: 1}\n")
    out = tmp_path / "o2"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 1)
    source = Usd.Stage.Open(str(src))
    assert not np.allclose(_world("/World/Carton_1/Body", variant(out, "train", 0)),
                           _world("/World/Carton_1/Body", source))
    run_cli("verify", out)


def test_z_up_asset_turned_upright_in_a_y_up_stage(tmp_path, run_cli):
    """rotateZXY = (-90, 20, 0) (a Z-up asset stood up in a Y-up stage) is gimbal-locked for Euler
    decomposition: the new angles are still exact, and no scipy warning reaches the user."""
    import warnings

    src = tmp_path / "yup.usda"
    src.write_text(USDA.replace('"Z"', '"Y"').replace("metersPerUnit = 1", "metersPerUnit = 0.01") + """
def Xform "World"
{
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI"])
    {
        double size = 1
        double3 xformOp:translate = (0, -5, 0)
        float3 xformOp:scale = (2000, 10, 2000)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Cube "Crate" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI"])
    {
        double size = 1
        float3 xformOp:translate = (100, 20, 30)
        float3 xformOp:rotateZXY = (-90, 20, 0)
        float3 xformOp:scale = (80, 60, 40)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:rotateZXY", "xformOp:scale"]
    }
}
""")
    cfg = config(tmp_path, "    offset: {low: -0.5, high: 0.5}\n    yaw: {low: -40, high: 40}\n")
    out = tmp_path / "o"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 1)
    assert not [w for w in caught if "imbal" in str(w.message)]
    w0 = _world("/World/Crate", Usd.Stage.Open(str(src)))
    for i in range(3):
        assert "/World/Crate.xformOp:rotateZXY" in values(out, "train", i)
        w = _world("/World/Crate", variant(out, "train", i))
        assert np.allclose(w[:3, 1], w0[:3, 1], atol=1e-5)  # local Y row (scaled): height axis unchanged
        assert abs(w[3, 1] - w0[3, 1]) < 1e-4 and not np.allclose(w, w0)
    run_cli("verify", out)


def test_half_precision_ops_are_not_rounded_into_an_overlap(tmp_path, run_cli):
    """half3 translate / quath orient keep ~3 significant digits (1.6 cm steps at x = 20 m): writing the new
    pose into them rounded accepted poses into overlaps; such prims get one double matrix instead."""
    stage = _stage(tmp_path / "half.usda")
    n, gap = 5, 0.1
    span = n + (n - 1) * gap
    _cube(stage, "/World/Floor", Gf.Vec3d(20, 0, -0.05), (span + 2, span + 2, 0.1), body=False)
    for i in range(n):
        for j in range(n):
            c = UsdGeom.Cube.Define(stage, f"/World/Boxes/B_{i}_{j}")
            c.CreateSizeAttr(1.0)
            xf = UsdGeom.Xformable(c.GetPrim())
            xf.AddTranslateOp(UsdGeom.XformOp.PrecisionHalf).Set(
                Gf.Vec3h(20 - span / 2 + 0.5 + i * (1 + gap), -span / 2 + 0.5 + j * (1 + gap), 0.5))
            xf.AddOrientOp(UsdGeom.XformOp.PrecisionHalf).Set(Gf.Quath(1, 0, 0, 0))
            UsdPhysics.CollisionAPI.Apply(c.GetPrim())
            UsdPhysics.RigidBodyAPI.Apply(c.GetPrim())
    stage.Save()
    cfg = config(tmp_path, "    offset: {low: -0.3, high: 0.3}\n    yaw: {low: -15, high: 15}\n")
    out = tmp_path / "o"
    run_cli("generate", tmp_path / "half.usda", "--config", cfg, "--out", out, "--train", 8, "--holdout", 2)
    for split, count in (("train", 8), ("holdout", 2)):
        for i in range(count):
            assert overlaps(world_boxes(variant(out, split, i)), 1e-4) == [], (split, i)
    assert "/World/Boxes/B_0_0.xformOp:transform" in values(out, "train", 0)
    run_cli("verify", out)


def _move_in_layer(layer: Path, prim: str, translate: tuple[float, float, float]) -> None:
    """Tamper: author a new translate for one prim of a written variant layer."""
    from pxr import Sdf

    lay = Sdf.Layer.FindOrOpen(str(layer))
    spec = Sdf.CreatePrimInLayer(lay, prim)
    attr = spec.attributes.get("xformOp:translate") or Sdf.AttributeSpec(spec, "xformOp:translate",
                                                                          Sdf.ValueTypeNames.Double3)
    attr.default = Gf.Vec3d(*translate)
    lay.Save()


@pytest.mark.parametrize(("where", "expected"), [
    ((0.0, 0.0, 0.3), "is inside keep-out region /World/Regions/Corridor"),  # train keep-out
    ((4.2, 1.3, 0.3), "lies outside the layout bounds"),  # past bounds.max x = 3.5
    ((-3.0, 1.3, 1.3), "is no longer supported"),  # lifted a metre into the air
    ((-1.0, 1.3, 0.3), "interpenetrate"),  # onto Crate_1
])
def test_verify_catches_a_tampered_layout_from_the_layer(tmp_path, run_cli, where, expected):
    """verify's layout check reads the moves from what the layer authors (not the plan), so a hand-moved body is
    caught by the rule it breaks, naming the body."""
    src = _corridor_room(tmp_path / "room.usda")
    cfg = config(tmp_path, "    offset: {low: -0.2, high: 0.2}\n    keep_out: {train: [corridor], holdout: []}\n"
                           "    bounds: {min: [-4, -4, -1], max: [3.5, 4, 3]}\n")
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 1)
    run_cli("verify", out)
    _move_in_layer(out / "train" / "train-00000.usdc", "/World/Crates/Crate_0", where)
    result = run_cli("verify", out, expect=1)
    layout_lines = result.output.split("FAIL  layout", 1)[1]
    assert expected in layout_lines and "/World/Crates/Crate_0" in layout_lines
