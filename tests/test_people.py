"""People on planned paths, checked from the written USD with code independent of the planner: shapely footprints
of the colliders read back with pxr at each person sample's time, and the distance between people."""

from __future__ import annotations

import json

import numpy as np
import shapely
import yaml
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from conftest import REPO

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"


def _footprints(stage, t, skip: str):
    """(shapely footprint, path) of every collider switched on at time t reaching above the ankles (people are
    checked by their distance instead)."""
    cache, out = UsdGeom.BBoxCache(t, ["default", "guide"]), []
    for prim in stage.Traverse():
        path = str(prim.GetPath())
        if not prim.HasAPI(UsdPhysics.CollisionAPI) or path.startswith(skip):
            continue
        if prim.GetAttribute("physics:collisionEnabled").Get(t) is False:
            continue
        box = cache.ComputeWorldBound(prim)
        rng = box.ComputeAlignedRange()
        if rng.GetMax()[2] < 0.05 or rng.GetMin()[2] > 1.7:
            continue
        m = np.asarray(box.GetMatrix())
        r = box.GetRange()
        lo, hi = np.asarray(r.GetMin()), np.asarray(r.GetMax())
        corners = np.array([[x, y, z, 1] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        out.append((shapely.MultiPoint((corners @ m)[:, :2]).convex_hull, path))
    return out


def test_crowd_on_the_hospital_keeps_clear_of_colliders_each_other_and_the_closed_zone(tmp_path, run_cli):
    cfg = yaml.safe_load((REPO / "sample_scenes" / "hospital_corridor" / "twin.yaml").read_text())
    cfg["seeds"] = {"train": 3, "holdout": 4}
    cfg["events"]["person_enters_corridor"] = {"count": 8, "goal": "room", "people": {"low": 2, "high": 9},
                                               "roles": {"staff": {}, "visitor": {}, "patient": {}},
                                               "window": [0, 20]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "o"
    run_cli("generate", HOSPITAL, "--config", path, "--out", out, "--train", 4, "--holdout", 2)
    assert "ok    people clear" in run_cli("verify", out).output
    manifest = json.loads((out / "manifest.json").read_text())
    counts, reactions = set(), 0
    for v in manifest["variants"]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        people = [e for e in v["events"] if e["kind"] == "person_enters_corridor"]
        zone = next(e for e in v["events"] if e["kind"] == "zone_access_change")
        zone_box = shapely.box(-20.0, 1.5, -10.07, 6.65)  # /World/Regions/Isolation_North_0
        counts.add(len(people))
        reactions += len(v.get("reactions", []))
        for e in people:
            prim = stage.GetPrimAtPath(e["prim"])
            assert e["parameters"]["role"] in prim.GetAttribute("semantics:labels:role").Get()
            for t in prim.GetAttribute("xformOp:translate").GetTimeSamples():
                if not prim.GetAttribute("physics:collisionEnabled").Get(t):
                    continue
                p = np.asarray(prim.GetAttribute("xformOp:translate").Get(t))
                disc = shapely.Point(p[0], p[1]).buffer(0.25 - 1e-3)
                hits = [q for fp, q in _footprints(stage, t, "/World/TwinsplitEvents/Person") if fp.intersects(disc)]
                assert not hits, f"{v['id']} {e['prim']} at {t} inside {hits}"
                if t >= zone["start_time_code"]:
                    assert not zone_box.intersects(disc), f"{e['prim']} inside the restricted zone at {t}"
                for o in people:
                    q = stage.GetPrimAtPath(o["prim"])
                    if o is not e and q.GetAttribute("physics:collisionEnabled").Get(t):
                        d = np.linalg.norm((np.asarray(q.GetAttribute("xformOp:translate").Get(t)) - p)[:2])
                        assert d >= 0.5 - 1e-3
    assert len(counts) > 1  # the number of people varies, the columns do not
    assert reactions > 0
    again = tmp_path / "again"
    run_cli("generate", HOSPITAL, "--config", path, "--out", again, "--train", 4, "--holdout", 2)
    for v in manifest["variants"]:
        assert (out / v["path"]).read_bytes() == (again / v["path"]).read_bytes()


def test_verify_refuses_a_person_walked_into_a_wall(tmp_path, run_cli):
    """Tamper: every sample of one person's path moved into a wall of the source (the layer saved again through
    Sdf): verify's `people clear` check reads the written samples and fails, naming that person."""
    from pxr import Sdf

    out = tmp_path / "o"
    run_cli("generate", HOSPITAL, "--config", REPO / "sample_scenes" / "hospital_corridor" / "twin.yaml",
            "--out", out, "--train", 2, "--holdout", 1, "--seed-train", 1, "--seed-holdout", 2)
    source = Usd.Stage.Open(str(HOSPITAL))
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default", "guide"])
    wall = None
    for prim in source.Traverse():
        if prim.HasAPI(UsdPhysics.CollisionAPI) and not prim.HasAPI(UsdPhysics.RigidBodyAPI):
            rng = cache.ComputeWorldBound(prim).ComputeAlignedRange()
            if rng.GetMax()[2] - rng.GetMin()[2] > 1.5:  # a wall: taller than a person
                wall = np.asarray(rng.GetMidpoint())
                break
    assert wall is not None
    variant = sorted((out / "train").glob("*.usd*"))[0]
    layer = Sdf.Layer.FindOrOpen(str(variant))
    stage = Usd.Stage.Open(str(variant))
    person = next(p for p in stage.Traverse()
                  if p.GetAttribute("twinsplit:event:kind").Get() == "person_enters_corridor"
                  and p.GetAttribute("xformOp:translate").GetNumTimeSamples())
    spec = layer.GetAttributeAtPath(person.GetPath().AppendProperty("xformOp:translate"))
    for t in layer.ListTimeSamplesForPath(spec.path):
        z = layer.QueryTimeSample(spec.path, t)[2]
        layer.SetTimeSample(spec.path, t, Gf.Vec3d(float(wall[0]), float(wall[1]), z))
    layer.Save()
    result = run_cli("verify", out, expect=1)
    line = next(ln for ln in result.output.splitlines() if "people clear" in ln)
    assert not line.lstrip().startswith("ok"), result.output
    assert str(person.GetPath()) in result.output
