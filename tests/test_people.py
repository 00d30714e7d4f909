"""People on planned paths, checked from the written USD with code independent of the planner (people_sites.py:
shapely footprints of the colliders read back with pxr at each person sample's time, and the distance between
people)."""

from __future__ import annotations

import json

import numpy as np
import yaml
from pxr import Gf, Usd, UsdGeom, UsdPhysics

from conftest import REPO
from people_sites import check_people, region_box

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"


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
    zone_box = region_box(HOSPITAL, "/World/Regions/Isolation_North_0")
    for v in manifest["variants"]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        zone = next(e for e in v["events"] if e["kind"] == "zone_access_change")
        walked = check_people(out, v, no_go=zone_box, no_go_from=zone["start_time_code"])  # samples and midpoints
        assert walked.samples > 0
        counts.add(len(walked.people))
        reactions += len(v.get("reactions", []))
        for e in walked.people:
            prim = stage.GetPrimAtPath(e["prim"])
            assert e["parameters"]["role"] in prim.GetAttribute("semantics:labels:role").Get()
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
