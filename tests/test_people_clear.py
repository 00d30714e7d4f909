"""verify's `people clear` check on tampered hospital sets: the written layer is edited through Sdf (where the
composed stage, read with pxr here, puts things is what the tamper aims at) and the check must name what it now
holds: a person inside a body layout moved onto it, not inside one moved away; inside an event body switched on at
that time, not at a time it is parked; two people closer than their radii; specs it cannot evaluate refused."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from pxr import Gf, Sdf, Usd, UsdGeom

from conftest import REPO
from twinsplit.cli import main

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"
CONFIG = REPO / "sample_scenes" / "hospital_corridor" / "twin.yaml"
PERSON = "person_enters_corridor"
EVENTS = "/World/TwinsplitEvents"


def _generate(out, config, train=2, holdout=1):
    result = CliRunner().invoke(main, ["generate", str(HOSPITAL), "--config", str(config), "--out", str(out),
                                       "--train", str(train), "--holdout", str(holdout), "--seed-train", "1",
                                       "--seed-holdout", "2"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    """The hospital sample's own config (layout, a person, a patient, a zone with barriers): 2 train, 1 holdout."""
    return _generate(tmp_path_factory.mktemp("hospital") / "o", CONFIG)


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """The same with 2-6 people walking at once."""
    cfg = yaml.safe_load(CONFIG.read_text())
    cfg["events"][PERSON] |= {"count": 6, "people": {"low": 2, "high": 6}, "start": {"low": 0, "high": 2},
                              "window": [0, 20]}
    path = tmp_path_factory.mktemp("crowd") / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return _generate(path.parent / "o", path, train=2, holdout=1)


def _copy(src, tmp_path):
    out = tmp_path / "o"
    shutil.copytree(src, out)
    return out


def _people_clear(run_cli, out) -> list[str]:
    """The findings' messages of the people clear check (verify fails: the layer no longer matches its seeds)."""
    data = json.loads(run_cli("verify", out, "--json", expect=1).output)
    check = next(c for c in data["checks"] if c["name"] == "people clear")
    return [f["message"] for f in check["findings"]]


def _people(stage) -> list[Usd.Prim]:
    return [p for p in stage.GetPrimAtPath(EVENTS).GetAllChildren()
            if p.GetAttribute("twinsplit:event:kind").Get() == PERSON]


def _on_samples(prim) -> list[float]:
    """A person's translate time samples at which it is switched on (what the check tests)."""
    return [t for t in prim.GetAttribute("xformOp:translate").GetTimeSamples()
            if prim.GetAttribute("physics:collisionEnabled").Get(t)]


def _centre(stage, path: str) -> np.ndarray:
    return np.asarray(UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"]).ComputeWorldBound(
        stage.GetPrimAtPath(path)).ComputeAlignedRange().GetMidpoint())


def _move_sample(layer, person: str, t: float, x: float, y: float) -> None:
    """Put one translate sample of a person at (x, y), its height kept."""
    path = Sdf.Path(person).AppendProperty("xformOp:translate")
    z = layer.QueryTimeSample(path, t)[2]
    layer.SetTimeSample(path, t, Gf.Vec3d(x, y, z))


def _shift_body(layer, stage, body: str, world_shift: np.ndarray) -> None:
    """Move a layout-moved body by `world_shift` (its layer's xformOp:translate, the first of its ops)."""
    prim = stage.GetPrimAtPath(body)
    parent = np.array(UsdGeom.Xformable(prim).ComputeParentToWorldTransform(Usd.TimeCode.Default()))[:3, :3]
    spec = layer.GetAttributeAtPath(Sdf.Path(body).AppendProperty("xformOp:translate"))
    assert spec is not None and UsdGeom.Xformable(prim).GetXformOpOrderAttr().Get()[0] == "xformOp:translate"
    spec.default = Gf.Vec3d(*(np.asarray(spec.default) + world_shift @ np.linalg.inv(parent)))


def test_a_person_inside_a_body_layout_moved_onto_it_is_caught_not_where_it_was_moved_from(hospital, tmp_path,
                                                                                          run_cli):
    """One bed moved (in the layer) onto the person's sample at t1; another moved off the site and one deactivated,
    with the person's samples at t2 and t3 put where they stood in this variant."""
    out = _copy(hospital, tmp_path)
    variant = out / "train" / "train-00000.usdc"
    stage = Usd.Stage.Open(str(variant))
    person = _people(stage)[0]
    t1, t2, t3 = (_on_samples(person)[k] for k in (3, 6, 9))
    at = np.asarray(person.GetAttribute("xformOp:translate").Get(t1))
    onto, away, gone = "/World/Beds/Bed_North_0", "/World/Beds/Bed_North_1", "/World/Beds/Bed_North_2"
    layer = Sdf.Layer.FindOrOpen(str(variant))
    _shift_body(layer, stage, onto, np.array([at[0], at[1], 0.0]) - _centre(stage, onto) * [1, 1, 0])
    was = _centre(stage, away)
    _shift_body(layer, stage, away, np.array([200.0, 0.0, 0.0]))
    _move_sample(layer, person.GetPath().pathString, t2, float(was[0]), float(was[1]))
    was = _centre(stage, gone)
    layer.GetPrimAtPath(gone).active = False
    _move_sample(layer, person.GetPath().pathString, t3, float(was[0]), float(was[1]))
    layer.Save()
    fresh = Usd.Stage.Open(str(variant))  # the tamper does what it says on the composed stage
    assert np.linalg.norm((_centre(fresh, onto) - at)[:2]) < 1e-6
    assert _centre(fresh, away)[0] > 150 and not fresh.GetPrimAtPath(gone).IsActive()
    found = _people_clear(run_cli, out)
    assert f"{person.GetPath()} at time code {t1:g} lies inside {onto}" in found, found
    assert not any(away in m or gone in m for m in found), found


def test_a_person_inside_an_event_body_only_while_it_is_switched_on(hospital, tmp_path, run_cli):
    """The person stands where an event body is while it is on: at t_on (caught); at t_x, where the layer now
    switches the body off for a moment without moving it (not caught); at t_off, when it is parked (not caught)."""
    out = _copy(hospital, tmp_path)
    for variant in sorted((out / "train").glob("*.usdc")):
        stage = Usd.Stage.Open(str(variant))
        person = _people(stage)[0]
        samples = _on_samples(person)
        bodies = [p for p in Usd.PrimRange(stage.GetPrimAtPath(EVENTS)) if p.IsA(UsdGeom.Gprim) and p != person]
        for body in bodies:
            enabled = body.GetAttribute("physics:collisionEnabled")
            on = [t for t in samples if enabled.Get(t)]
            off = [t for t in samples if not enabled.Get(t)]
            if len(on) >= 2 and off:
                break
        else:
            continue
        break
    else:
        pytest.fail("no train variant has an event body switched on during some of a person's samples only")
    t_on, t_x, t_off = on[0], on[-1], off[-1]
    where = np.asarray(UsdGeom.Xformable(body).ComputeLocalToWorldTransform(t_on).ExtractTranslation())
    assert np.allclose(UsdGeom.Xformable(body).ComputeLocalToWorldTransform(t_x).ExtractTranslation(), where)
    layer = Sdf.Layer.FindOrOpen(str(variant))
    for t in (t_on, t_x, t_off):
        _move_sample(layer, person.GetPath().pathString, t, float(where[0]), float(where[1]))
    switch = body.GetPath().AppendProperty("physics:collisionEnabled")
    layer.SetTimeSample(switch, t_x - 0.5, False)
    layer.SetTimeSample(switch, t_x + 0.5, True)
    layer.Save()
    assert not Usd.Stage.Open(str(variant)).GetPrimAtPath(body.GetPath()).GetAttribute(
        "physics:collisionEnabled").Get(t_x)
    found = _people_clear(run_cli, out)
    assert f"{person.GetPath()} at time code {t_on:g} lies inside {body.GetPath()}" in found, found
    for t in (t_x, t_off):
        assert not any(f"time code {t:g} lies inside {body.GetPath()}" in m for m in found), found


def test_two_people_closer_than_their_radii_are_caught(crowd, tmp_path, run_cli):
    out = _copy(crowd, tmp_path)
    for variant in sorted((out / "train").glob("*.usdc")):
        stage = Usd.Stage.Open(str(variant))
        people = _people(stage)
        pairs = [(a, b, t) for a in people for b in people if a != b
                 for t in _on_samples(a) if b.GetAttribute("physics:collisionEnabled").Get(t)]
        if len(pairs) >= 2:
            break
    else:
        pytest.fail("no train variant has two people on the site at once")
    (a, b, t1), (_, _, t2) = pairs[0], next(p for p in pairs[1:] if p[:2] == pairs[0][:2] and p[2] != pairs[0][2])
    layer = Sdf.Layer.FindOrOpen(str(variant))
    radii = sum(p.GetAttribute("radius").Get() for p in (a, b))
    for t, gap in ((t1, 0.1), (t2, radii + 0.05)):  # b given a sample beside a's: too close, then just clear
        pos = np.asarray(a.GetAttribute("xformOp:translate").Get(t))
        layer.SetTimeSample(b.GetPath().AppendProperty("xformOp:translate"), t, Gf.Vec3d(pos[0] + gap, pos[1], pos[2]))
    layer.Save()
    found = _people_clear(run_cli, out)
    assert f"{a.GetPath()} at time code {t1:g} is 0.1 from {b.GetPath()}, closer than their radii" in found, found
    assert f"{b.GetPath()} at time code {t1:g} is 0.1 from {a.GetPath()}, closer than their radii" in found, found
    assert not any(f"at time code {t2:g} is" in m and str(b.GetPath()) in m for m in found), found


def test_specs_the_check_cannot_evaluate_are_refused(hospital, tmp_path, run_cli):
    """A person not written in world coordinates, and a source wall switched off by the layer: the check reads
    neither, so it says so instead of passing them."""
    out = _copy(hospital, tmp_path)
    variant = out / "train" / "train-00000.usdc"
    stage = Usd.Stage.Open(str(variant))
    person = _people(stage)[0].GetPath()
    wall = next(p.GetPath() for p in stage.Traverse() if p.GetPath().pathString.startswith("/World/Building/Exterior")
                and p.IsA(UsdGeom.Cube))
    layer = Sdf.Layer.FindOrOpen(str(variant))
    layer.GetAttributeAtPath(person.AppendProperty("xformOpOrder")).default = ["xformOp:translate"]
    spec = Sdf.AttributeSpec(Sdf.CreatePrimInLayer(layer, wall), "physics:collisionEnabled", Sdf.ValueTypeNames.Bool)
    spec.default = False
    layer.Save()
    found = _people_clear(run_cli, out)
    assert f"{person} does not reset the xform stack; event bodies are written in world coordinates" in found, found
    assert (f"{wall} authors physics:collisionEnabled on a collider of the source; this check reads its shape from "
            "the source") in found, found
