"""Scripted events: generated variants play in pxr (read at several time codes), holdout-only kinds stay out of
train (manifest and layers), verify catches edited time samples, bad configs fail with exit 1 and a clear message."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from pxr import Usd, UsdGeom

from conftest import REPO
from stages import write
from twinsplit.geometry import find_overlaps
from twinsplit.scene.colliders import shapes_from_stage

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"
CLEANROOM = REPO / "sample_scenes" / "cleanroom_fab" / "cleanroom_fab.usda"


def stage_text(*, up="Z", mpu=1.0, default=True, times=True, world_offset=(0.0, 0.0, 0.0),
               crates=((-9.5, 0.75, 1.0),)) -> str:
    """A corridor site written in metres (x along, y across, h up), converted to the stage's units and up axis.

    Regions: corridor (20 x 3 m), route (18 x 0.5 m), a doorway into an infection_control room. Walls along the
    corridor are static colliders; crates are dynamic boxes (x, y, size) that an entry point must avoid."""
    s = 1.0 / mpu

    def p(x, y, h):
        return (x * s, h * s, -y * s) if up == "Y" else (x * s, y * s, h * s)

    def sc(x, y, h):
        return (x * s, h * s, y * s) if up == "Y" else (x * s, y * s, h * s)

    def cube(name, center, size, schemas="", region=None, body=False):
        api = f' (\n    prepend apiSchemas = [{schemas}]\n)' if schemas else ""
        lines = [f'def Cube "{name}"{api}', "{", "    double size = 1"]
        if region:
            lines += ['    uniform token purpose = "guide"', f'    custom token twinsplit:region = "{region}"']
        if body:
            lines += ["    float physics:mass = 20"]
        lines += [f"    double3 xformOp:translate = {p(*center)}", f"    double3 xformOp:scale = {sc(*size)}",
                  '    uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]', "}"]
        return "\n".join(lines)

    walls = '"PhysicsCollisionAPI"'
    dyn = '"PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI"'
    items = [
        cube("Floor", (0, 0, -0.05), (30, 12, 0.1), walls),
        cube("WallS", (0, -1.6, 1.5), (20, 0.2, 3), walls),
        cube("WallN_A", (-3.5, 1.6, 1.5), (13, 0.2, 3), walls),
        cube("WallN_B", (7.35, 1.6, 1.5), (5.3, 0.2, 3), walls),
        cube("Corridor", (0, 0, 1.5), (20, 3, 3), region="corridor"),
        cube("Route", (0, 0, 1.0), (18, 0.5, 2), region="route"),
        cube("Doorway", (3.7, 1.6, 1.05), (1.4, 0.2, 2.1), region="doorway"),
        cube("Isolation", (3.7, 4.0, 1.5), (6, 4.6, 3), region="infection_control"),
        *(cube(f"Crate_{i}", (x, y, w / 2 + 0.001), (w, w, w), dyn, body=True) for i, (x, y, w) in enumerate(crates)),
        "\n".join(['def SphereLight "Lamp"', "{", "    float inputs:intensity = 5000",
                   f"    double3 xformOp:translate = {p(3.0, 0.0, 2.8)}",
                   '    uniform token[] xformOpOrder = ["xformOp:translate"]', "}"]),
    ]
    meta = [f'upAxis = "{up}"', f"metersPerUnit = {mpu}", "kilogramsPerUnit = 1"]
    if default:
        meta.append('defaultPrim = "World"')
    if times:
        meta += ["startTimeCode = 0", "endTimeCode = 480", "timeCodesPerSecond = 24"]
    body = "\n".join(items)
    if default:
        off = p(*world_offset)
        body = "\n".join(['def Xform "World"', "{", f"    double3 xformOp:translate = {off}",
                          '    uniform token[] xformOpOrder = ["xformOp:translate"]',
                          "\n".join("    " + ln for ln in body.splitlines()), "}"])
    return "#usda 1.0\n(\n" + "\n".join("    " + m for m in meta) + "\n)\n\n" + body + "\n"


CASES = {
    "m-zup-default-offset": dict(up="Z", mpu=1.0, default=True, times=True, world_offset=(2.0, -1.0, 0.0)),
    "cm-yup-nodefault-notimes": dict(up="Y", mpu=0.01, default=False, times=False),
}


def _generate(tmp_path, run_cli, text, events, n_train=3, n_holdout=2, expect=0, name="o", src=None,
              layer_format="usdc"):
    src = src or write(tmp_path, text, "site.usda")
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump({"seeds": {"train": 7, "holdout": 8}, "events": events}))
    out = tmp_path / name
    result = run_cli("generate", src, "--config", cfg, "--out", out, "--train", n_train, "--holdout", n_holdout,
                     "--layer-format", layer_format, expect=expect)
    return out, result


def _variants(out):
    """(manifest, its variant rows); the rows are exactly the variant layers on disk, so loops over them are
    never over nothing."""
    manifest = json.loads((out / "manifest.json").read_text())
    layers = sorted(p.relative_to(out).as_posix() for p in out.glob("*/*-[0-9]*.usd[ac]"))
    assert layers and sorted(v["path"] for v in manifest["variants"]) == layers
    return manifest, manifest["variants"]


def _lowest(out):
    """The lowest corner of the copied source's bounds (where event bodies park below)."""
    source = Usd.Stage.Open(str(next((out / "source").glob("*.usda"))))
    return UsdGeom.BBoxCache(0, ["default"]).ComputeWorldBound(source.GetPseudoRoot()).ComputeAlignedRange().GetMin()


def _world(prim, t):
    return np.asarray(UsdGeom.Xformable(prim).ComputeLocalToWorldTransform(t).ExtractTranslation())


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_person_walks_at_drawn_speed(tmp_path, run_cli, case):
    kw = CASES[case]
    mpu, up = kw["mpu"], 1 if kw["up"] == "Y" else 2
    out, _ = _generate(tmp_path, run_cli, stage_text(**kw),
                       {"person_enters_corridor": {"count": 2, "window": [0, 15]}})
    run_cli("verify", out)
    _, variants = _variants(out)
    root = "/World/TwinsplitEvents" if kw["default"] else "/TwinsplitEvents"
    lowest = _lowest(out)[up]
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        assert stage.GetTimeCodesPerSecond() == 24  # the source's rate (its fallback when unauthored), never changed
        assert stage.GetStartTimeCode() == 0 and stage.GetEndTimeCode() == (480 if kw["times"] else 15 * 24)
        # both walk, or one stays away because it would meet the other on every start tried (said in reactions)
        assert [e["kind"] for e in v["events"]] in (["person_enters_corridor"] * 2, ["person_enters_corridor"])
        assert len(v["events"]) + sum(r["what"] == "stay away" for r in v.get("reactions", [])) == 2
        for e in v["events"]:
            assert e["prim"].startswith(root + "/Person_")
            prim = stage.GetPrimAtPath(e["prim"])
            caps = UsdGeom.Capsule(prim)
            assert caps.GetAxisAttr().Get() == kw["up"]
            total = (caps.GetHeightAttr().Get() + 2 * caps.GetRadiusAttr().Get()) * mpu
            assert total == pytest.approx(1.7) and caps.GetRadiusAttr().Get() * mpu == pytest.approx(0.25)
            assert prim.GetAttribute("physics:kinematicEnabled").Get() is True
            assert prim.GetAttribute("semantics:labels:class").Get() == ["person"]
            assert "SemanticsLabelsAPI:class" in prim.GetAppliedSchemas()
            t0, t1 = e["start_time_code"], e["end_time_code"]
            assert e["start"] * 24 == pytest.approx(t0) and 0 <= e["start"] < e["end"] <= 15
            entry = np.asarray(e["parameters"]["entry"])
            # before it enters: invisible, parked straight below its entry point, its top 1 m under the lowest
            # point of the stage; visible and walking after
            before = t0 - 0.5
            assert UsdGeom.Imageable(prim).ComputeVisibility(before) == "invisible"
            parked = _world(prim, before)
            assert np.allclose(np.delete(parked, up), np.delete(entry, up))
            assert (parked[up] + 0.85 / mpu) == pytest.approx(lowest - 1.0 / mpu)
            assert np.allclose(_world(prim, Usd.TimeCode.Default()), parked)
            assert UsdGeom.Imageable(prim).ComputeVisibility(t0 + 0.5) == "inherited"
            assert prim.GetAttribute("physics:collisionEnabled").Get(before) is False
            assert prim.GetAttribute("physics:collisionEnabled").Get(t0 + 0.5) is True
            # feet on the floor, centre height 0.85 m (+ a 1 cm lift)
            assert entry[up] * mpu == pytest.approx(0.86)
            # a planned walk (around the crate): speeding up to the drawn speed (never faster), slowing down to stop
            # at the far end
            ts = prim.GetAttribute("xformOp:translate").GetTimeSamples()
            walk = np.array([_world(prim, t) for t in ts if t0 <= t <= t1]) * mpu
            speeds = np.linalg.norm(np.diff(walk, axis=0), axis=1) / (np.diff([t for t in ts if t0 <= t <= t1]) / 24)
            assert speeds.max() <= e["parameters"]["speed_mps"] * (1 + 1e-6) and 0.5 <= speeds.max() <= 1.8
            step = walk[-1] - walk[0]
            assert np.sign(step[0]) == (1 if e["parameters"]["direction"] == "forward" else -1)
            # the corridor runs x in [-10, 10] m (+ the default prim's offset): inside it all the way
            off = kw.get("world_offset", (0, 0, 0))[0]
            for t in np.linspace(t0, t1, 7):
                x = _world(prim, t)[0] * mpu - off
                assert -10 <= x <= 10


def test_entry_point_is_never_inside_an_object(tmp_path, run_cli):
    # A crate fills most of the width at the negative end: entries there must dodge it (redrawn laterals).
    text = stage_text(crates=((-9.3, 0.3, 1.4),))
    out, _ = _generate(tmp_path, run_cli, text, {"person_enters_corridor": {
        "count": 3, "direction": {"distribution": "choice", "choices": ["forward"]}}}, n_train=6, n_holdout=4)
    run_cli("verify", out)
    _, variants = _variants(out)
    laterals = []
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        for e in v["events"]:
            shapes = shapes_from_stage(stage, time=Usd.TimeCode(e["start_time_code"]))
            assert e["prim"] in {s.path for s in shapes}
            # the person is kinematic and the crate dynamic: find_overlaps counts that pair
            assert not [o for o in find_overlaps(shapes) if e["prim"] in (o.a, o.b)]
            laterals.append(e["parameters"]["entry"][1])
    assert len(set(laterals)) > 1  # entries still spread across the corridor


def test_blocked_region_is_a_clear_error(tmp_path, run_cli):
    text = stage_text(crates=((-9.3, 0.0, 3.0), (9.3, 0.0, 3.0)))
    _, result = _generate(tmp_path, run_cli, text, {"person_enters_corridor": {}}, expect=1)
    assert "events.person_enters_corridor[0]" in result.output and "/World/Regions" not in result.output
    assert "/World/Corridor" in result.output and "inside an object" in result.output


def test_patient_obstructs_route(tmp_path, run_cli):
    out, _ = _generate(tmp_path, run_cli, stage_text(**CASES["cm-yup-nodefault-notimes"]), {
        "patient_obstructs_path": {"window": [0, 20], "count": 3, "duration": {"low": 2, "high": 4}}},
        n_train=4, n_holdout=2)
    run_cli("verify", out)
    _, variants = _variants(out)
    kinds = set()
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        for e in v["events"]:
            prim = stage.GetPrimAtPath(e["prim"])
            kind = e["parameters"]["kind"]
            kinds.add(kind)
            assert prim.GetTypeName() == ("Cube" if kind == "bed" else "Capsule")
            assert e["end"] - e["start"] == pytest.approx(e["parameters"]["duration_s"])
            t0, t1 = e["start_time_code"], e["end_time_code"]
            at = np.asarray(e["parameters"]["at"])
            for t, visible in ((t0 - 0.5, False), (t0, True), ((t0 + t1) / 2, True), (t1 + 0.5, False)):
                assert (UsdGeom.Imageable(prim).ComputeVisibility(t) == "inherited") is visible
                assert prim.GetAttribute("physics:collisionEnabled").Get(t) is visible
                assert np.allclose(_world(prim, t), at) is visible  # parked below the floor when inactive
            lo = UsdGeom.BBoxCache(t0, ["default"]).ComputeWorldBound(prim).ComputeAlignedRange().GetMin()
            assert lo[1] * 0.01 == pytest.approx(0.002, abs=1e-4)  # resting on the floor (Y-up, cm)
            assert abs(at[0] * 0.01) <= 9  # on the route
    assert kinds == {"bed", "lying", "standing"}


def test_alarm_flashes_and_closes_a_doorway(tmp_path, run_cli):
    out, _ = _generate(tmp_path, run_cli, stage_text(world_offset=(2.0, -1.0, 0.0)), {
        "alarm_reroute": [{"light": "beacon", "frequency": {"low": 1, "high": 2}},  # /World offset: see below
                          {"light": "nearest", "window": [5, 15]}]}, n_train=2, n_holdout=2)
    run_cli("verify", out)
    _, variants = _variants(out)
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        beacon, nearest = v["events"]
        assert beacon["parameters"]["light"].endswith("/Alarm_0/Beacon")
        assert nearest["parameters"]["light"] == "/World/Lamp" and nearest["start"] >= 5
        for e in v["events"]:
            alarm = stage.GetPrimAtPath(e["prim"])
            t0 = e["start_time_code"]
            active = alarm.GetAttribute("twinsplit:alarm:active")
            assert active.Get(t0 - 0.5) is False and active.Get(t0) is True and active.Get(t0 + 100) is True
            light = stage.GetPrimAtPath(e["parameters"]["light"]).GetAttribute("inputs:intensity")
            hz = e["parameters"]["frequency_hz"]
            quarter = 24 / hz / 4  # middle of the first on and of the first off half period
            on = light.Get(t0 + quarter)
            assert on > 0 and light.Get(t0 + 3 * quarter) == 0 and light.Get(t0 + 5 * quarter) == on
            if e is nearest:
                assert light.Get(t0 - 2) == 5000  # the lamp's own intensity until the alarm
            blocker = stage.GetPrimAtPath(e["parameters"]["blocker"])
            assert blocker.GetAttribute("physics:kinematicEnabled").Get() is True
            box = UsdGeom.BBoxCache(t0, ["default"]).ComputeWorldBound(blocker).ComputeAlignedRange()
            door = np.array([[3.7 - 0.7, 1.5, 0.0], [3.7 + 0.7, 1.7, 2.1]]) + [2.0, -1.0, 0.0]  # + /World offset
            assert np.allclose([box.GetMin(), box.GetMax()], door, atol=1e-5)  # fills the doorway region
            assert UsdGeom.Imageable(blocker).ComputeVisibility(t0 - 0.5) == "invisible"
            assert blocker.GetAttribute("physics:collisionEnabled").Get(t0 - 0.5) is False
            assert _world(blocker, t0 - 0.01)[2] < -1  # parked below the floor until the alarm


def test_alarm_nearest_falls_back_to_beacon_and_selector_must_match(tmp_path, run_cli):
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"alarm_reroute": {"light_radius": 0.5}}, n_train=2,
                       n_holdout=1)
    _, variants = _variants(out)
    assert all(v["events"][0]["parameters"]["light"].endswith("/Beacon") for v in variants)
    _, result = _generate(tmp_path, run_cli, stage_text(), {"alarm_reroute": {"light": {"types": ["RectLight"]}}},
                          expect=1, name="bad")
    assert "events.alarm_reroute[0].light" in result.output and "RectLight" in result.output


@pytest.mark.parametrize("boundary", ["auto", "perimeter"])
def test_zone_access_flips_and_barriers_rise(tmp_path, run_cli, boundary):
    out, _ = _generate(tmp_path, run_cli, stage_text(**CASES["cm-yup-nodefault-notimes"]),
                       {"zone_access_change": {"boundary": boundary}}, n_train=2, n_holdout=2)
    run_cli("verify", out)
    _, variants = _variants(out)
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        (e,) = v["events"]
        assert e["parameters"]["zone"] == "/Isolation"
        access = stage.GetPrimAtPath("/Isolation").GetAttribute("twinsplit:zone:access")
        t0 = e["start_time_code"]
        assert 0 <= e["start"] <= 5  # default: the first half of the default 0-10 s window
        assert [access.Get(t) for t in (0, t0 - 0.5, t0, t0 + 30, 240)] == ["open", "open", "restricted",
                                                                            "restricted", "restricted"]
        barriers = e["parameters"]["barriers"]
        assert len(barriers) == (1 if boundary == "auto" else 4)
        for path in barriers:
            prim = stage.GetPrimAtPath(path)
            assert prim.GetAttribute("physics:collisionEnabled").Get(t0 - 0.5) is False
            assert prim.GetAttribute("physics:collisionEnabled").Get(t0) is True
            box = UsdGeom.BBoxCache(t0, ["default"]).ComputeWorldBound(prim).ComputeAlignedRange()
            lo, hi = np.asarray(box.GetMin()) * 0.01, np.asarray(box.GetMax()) * 0.01
            if boundary == "auto":  # the doorway box: x 3.0-4.4, y(stage -z) 1.5-1.7, h 0-2.1
                assert np.allclose([lo, hi], [[3.0, 0.0, -1.7], [4.4, 2.1, -1.5]], atol=1e-6)
            else:  # thin walls on the isolation room's sides
                assert min(hi - lo) == pytest.approx(0.1)


def test_holdout_only_kind_never_in_train_and_verify_reads_layers(tmp_path, run_cli):
    out, _ = _generate(tmp_path, run_cli, stage_text(), {
        "person_enters_corridor": {},
        "zone_access_change": {"holdout_only": True}}, n_train=4, n_holdout=3, layer_format="usda")  # read as text
    manifest, variants = _variants(out)
    for v in variants:
        kinds = [e["kind"] for e in v["events"]]
        text = (out / v["path"]).read_text()
        if v["split"] == "train":
            assert kinds == ["person_enters_corridor"] and "twinsplit:zone" not in text and "Zone_0" not in text
        else:
            assert kinds == ["person_enters_corridor", "zone_access_change"] and "twinsplit:zone:access" in text
    # train rows hold NaN for the holdout-only columns; they are left out of the margin check
    params = [p["name"] for p in manifest["parameters"]]
    assert "/World/TwinsplitEvents/Zone_0.event:start" in params
    result = run_cli("verify", out)
    assert "ok    holdout-only events: 4 train layers free of" in result.output
    # A train layer edited to carry the zone change (even without the manifest saying so) fails verify.
    p = out / "train" / "train-00001.usda"
    p.write_text(p.read_text().replace('over "World"\n{', 'over "World"\n{\n    over "Isolation"\n    {\n'
                                       '        custom token twinsplit:zone:access = "restricted"\n    }\n', 1))
    result = run_cli("verify", out, expect=1)
    assert "FAIL  holdout-only events" in result.output
    assert "train/train-00001.usda: contains holdout-only zone_access_change at " \
           "/World/Isolation.twinsplit:zone:access" in result.output


def test_verify_catches_an_edited_time_sample(tmp_path, run_cli):
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"person_enters_corridor": {}}, n_train=2, n_holdout=1,
                       layer_format="usda")  # edited as text below
    p = out / "holdout" / "holdout-00000.usda"
    text = p.read_text()
    edited = re.sub(r"(xformOp:translate\.timeSamples = \{\n\s+[0-9.e+-]+: \()([-0-9.e]+)", r"\g<1>1.5", text, count=1)
    assert edited != text
    p.write_text(edited)
    result = run_cli("verify", out, expect=1)
    assert "FAIL  rederive" in result.output
    assert "holdout/holdout-00000.usda: /World/TwinsplitEvents/Person_0.xformOp:translate is" in result.output


@pytest.mark.parametrize("events, needles", [
    ({"person_enters_corridor": {"region": "atrium"}},
     ["events.person_enters_corridor[0].region", "'atrium' does not exist", "known:", "corridor", "route"]),
    ({"alarm_reroute": {"close": "/World/Nope"}}, ["events.alarm_reroute[0].close", "'/World/Nope' does not exist"]),
    ({"zone_access_change": {"window": [5, 30]}},
     ["events.zone_access_change[0].window [5, 30] s", "stage time range [0, 20] s", "0-480 at 24 per second"]),
    ({"patient_obstructs_path": {"start": {"low": 1, "high": 25}}},
     ["events.patient_obstructs_path[0].start", "[1, 25] s", "window [0, 20] s"]),
    ({"person_enters_corridor": {"window": [8, 3]}}, ["window start (8.0) must be before its end (3.0)"]),
    ({"person_enters_corridor": {"speed": {"low": 2, "high": 1}}}, ["speed", "low (2.0) must be less than high"]),
    ({"patient_obstructs_path": {"kind": {"distribution": "choice", "choices": ["bed", "sofa"]}}},
     ["kind must be a choice among bed, lying, standing", "sofa"]),
    ({"zone_access_change": {"holdout_only": True, "colour": "red"}}, ["colour", "unknown key"]),
])
def test_bad_configs_fail_with_a_clear_message(tmp_path, run_cli, events, needles):
    _, result = _generate(tmp_path, run_cli, stage_text(), events, expect=1)
    for needle in needles:
        assert needle in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("scene, walk, zone", [
    (HOSPITAL, "corridor", "/World/Regions/Isolation_North_0"),
    (CLEANROOM, "aisle", "/World/Regions/LithoRestricted"),
], ids=["hospital_corridor", "cleanroom_fab"])
def test_init_events_generate_unchanged_and_play_on_sample_scenes(tmp_path, run_cli, scene, walk, zone):
    cfg = tmp_path / "twin.yaml"
    run_cli("init", scene, "-o", cfg)
    events = yaml.safe_load(cfg.read_text())["events"]
    assert set(events) == {"person_enters_corridor", "patient_obstructs_path", "alarm_reroute", "zone_access_change"}
    assert events["alarm_reroute"]["holdout_only"] is True and events["person_enters_corridor"]["region"] == walk
    # Only the events section (the randomize section belongs to the randomizers' own tests).
    ev_cfg = tmp_path / "events.yaml"
    ev_cfg.write_text(yaml.safe_dump({"seeds": {"train": 1, "holdout": 2}, "events": events}))
    out = tmp_path / "o"
    run_cli("generate", scene, "--config", ev_cfg, "--out", out, "--train", 3, "--holdout", 2)
    result = run_cli("verify", out)
    assert "holdout-only events: 3 train layers free of alarm_reroute" in result.output
    _, variants = _variants(out)
    alarms = 0
    for v in variants:
        stage = Usd.Stage.Open(str(out / v["path"]))
        by_kind = {e["kind"]: e for e in v["events"]}
        assert ("alarm_reroute" in by_kind) is (v["split"] == "holdout")
        person = by_kind["person_enters_corridor"]
        prim, t0, t1 = stage.GetPrimAtPath(person["prim"]), person["start_time_code"], person["end_time_code"]
        ts = [t for t in prim.GetAttribute("xformOp:translate").GetTimeSamples() if t0 <= t <= t1]
        walk = np.array([_world(prim, t) for t in ts])
        fastest = np.max(np.linalg.norm(np.diff(walk, axis=0), axis=1) / (np.diff(ts) / 30))
        assert fastest <= person["parameters"]["speed_mps"] * (1 + 1e-6)
        z = by_kind["zone_access_change"]
        assert z["parameters"]["zone"] == zone and z["parameters"]["barriers"]
        access = stage.GetPrimAtPath(zone).GetAttribute("twinsplit:zone:access")
        assert access.Get(z["start_time_code"] - 0.5) == "open" and access.Get(z["start_time_code"]) == "restricted"
        if "alarm_reroute" in by_kind:
            a = by_kind["alarm_reroute"]
            active = stage.GetPrimAtPath(a["prim"]).GetAttribute("twinsplit:alarm:active")
            assert active.Get(a["start_time_code"] - 0.5) is False and active.Get(a["start_time_code"]) is True
            assert stage.GetPrimAtPath(a["parameters"]["closes"]).GetAttribute("twinsplit:region").Get() == "doorway"
            alarms += 1
    assert alarms == 2  # both holdout variants' alarms were checked


def test_starter_skips_kinds_without_regions(tmp_path, run_cli):
    src = write(tmp_path, stage_text().replace('"doorway"', '"gate"').replace('"infection_control"', '"lobby"'))
    body = yaml.safe_load(run_cli("init", src).output)
    assert set(body["events"]) == {"person_enters_corridor", "patient_obstructs_path"}


@pytest.mark.parametrize("kind, block", [
    ("patient_obstructs_path", {"start": {"low": 0.0, "high": 0.01}}),
    ("alarm_reroute", {"start": {"low": 0.0, "high": 0.01}}),
    ("zone_access_change", {"start": {"low": 0.0, "high": 0.01}}),
])
def test_events_at_the_window_start_keep_samples_inside_the_stage_range(tmp_path, run_cli, kind, block):
    """A switch at t = 0 must not author a 'just before' sample at a negative time code."""
    out, _ = _generate(tmp_path, run_cli, stage_text(**CASES["m-zup-default-offset"]),
                       {kind: {"window": [0, 10], **block}})
    run_cli("verify", out)
    for v in _variants(out)[1]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        start = stage.GetStartTimeCode()
        for prim in stage.Traverse():
            for attr in prim.GetAttributes():
                samples = attr.GetTimeSamples()
                assert not samples or samples[0] >= start, f"{attr.GetPath()} samples {samples[:2]} before {start}"
    result = run_cli("validate", out, "--rules", "time-samples-in-range")
    assert "0 errors" in result.output


def test_event_bodies_bind_a_physics_material_and_validate_strict(tmp_path, run_cli):
    from pxr import UsdPhysics, UsdShade

    out, _ = _generate(tmp_path, run_cli, stage_text(**CASES["m-zup-default-offset"]), {
        "person_enters_corridor": {"window": [0, 10]}, "patient_obstructs_path": {"window": [0, 10]},
        "alarm_reroute": {"window": [0, 10]}, "zone_access_change": {"window": [0, 10]}})
    stage = Usd.Stage.Open(str(out / "train" / "train-00000.usdc"))
    bodies = [p for p in stage.Traverse()
              if p.HasAPI(UsdPhysics.CollisionAPI) and "TwinsplitEvents" in str(p.GetPath())]
    assert len(bodies) >= 4
    for prim in bodies:
        material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial("physics")
        assert material and material.GetPrim().HasAPI(UsdPhysics.MaterialAPI), prim.GetPath()
    values = json.loads((out / "train" / "train-00000.values.json").read_text())
    assert any(k.endswith(".material:binding:physics") and v["targets"] for k, v in values.items())
    run_cli("verify", out)
    # the test stage itself is not SimReady (no physics scene or materials): only the event prims must be clean
    report = json.loads(run_cli("validate", out, "--format", "json", expect=1).output)
    text = json.dumps(report)
    assert "/World/Floor" in text  # findings are reported ...
    assert "TwinsplitEvents" not in text  # ... but none about what the events added


def test_several_alarms_of_one_block_never_share_a_light(tmp_path, run_cli):
    """Two alarms of one variant near the same lamp: the first flashes it, the second gets a beacon (was a USD
    'spec already exists' traceback from generate)."""
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"alarm_reroute": {"count": 2, "light": "nearest"}},
                       n_train=2, n_holdout=1)
    run_cli("verify", out)
    for v in _variants(out)[1]:
        first, second = v["events"]
        assert first["parameters"]["light"] == "/World/Lamp"
        assert second["parameters"]["light"] == second["prim"] + "/Beacon"
        stage = Usd.Stage.Open(str(out / v["path"]))
        for e in (first, second):
            light = stage.GetPrimAtPath(e["parameters"]["light"]).GetAttribute("inputs:intensity")
            quarter = 24 / e["parameters"]["frequency_hz"] / 4
            assert light.Get(e["start_time_code"] + quarter) > 0 and light.Get(e["start_time_code"] + 3 * quarter) == 0


def test_several_zone_changes_on_one_zone_restrict_it_at_the_first(tmp_path, run_cli):
    """Two instances drawing the same zone author its access token once: restricted from the earlier start
    (was a USD 'spec already exists' traceback from generate); each instance's barriers rise at its own start."""
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"zone_access_change": {"count": 2}}, n_train=2, n_holdout=1)
    run_cli("verify", out)
    for v in _variants(out)[1]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        a, b = v["events"]
        assert a["parameters"]["zone"] == b["parameters"]["zone"] == "/World/Isolation"
        t0 = min(a["start_time_code"], b["start_time_code"])
        access = stage.GetPrimAtPath("/World/Isolation").GetAttribute("twinsplit:zone:access")
        assert access.Get(t0 - 0.5) == "open" and access.Get(t0) == "restricted"
        assert access.Get(max(a["start_time_code"], b["start_time_code"]) + 1) == "restricted"
        for e in (a, b):
            barrier = stage.GetPrimAtPath(e["parameters"]["barriers"][0])
            c = barrier.GetAttribute("physics:collisionEnabled")
            assert c.Get(e["start_time_code"] - 0.5) is False and c.Get(e["start_time_code"]) is True


def test_a_stage_with_an_empty_time_range_takes_any_window(tmp_path, run_cli):
    """startTimeCode == endTimeCode (a still stage, as many exporters write it) is no range: an explicit window
    is accepted like the default one (it was refused as 'outside the stage time range [0, 0] s')."""
    out, _ = _generate(tmp_path, run_cli, stage_text().replace("endTimeCode = 480", "endTimeCode = 0"),
                       {"person_enters_corridor": {"window": [2, 12]}}, n_train=1, n_holdout=1)
    run_cli("verify", out)
    for v in _variants(out)[1]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (0, 12 * 24)
        assert 2 <= v["events"][0]["start"] <= 7


def test_alarm_light_is_off_on_every_frame_before_the_alarm(tmp_path, run_cli):
    """Intensity interpolates linearly: the first edge must be as sharp as the others, or the frame before the
    alarm shows the light partly on while twinsplit:alarm:active is still false."""
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"alarm_reroute": [{"light": "beacon"}, {"light": "nearest"}]},
                       n_train=3, n_holdout=2)
    for v in _variants(out)[1]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        for e, before in zip(v["events"], (0.0, 5000.0), strict=True):  # the beacon's, then the lamp's
            t0 = e["start_time_code"]
            frame = float(np.ceil(t0) - 1)  # the last whole frame before the alarm
            light = stage.GetPrimAtPath(e["parameters"]["light"]).GetAttribute("inputs:intensity")
            assert stage.GetPrimAtPath(e["prim"]).GetAttribute("twinsplit:alarm:active").Get(frame) is False
            assert light.Get(frame) == before, (t0, light.Get(frame))


def test_holdout_only_check_on_a_sealed_set_counts_what_the_holdout_layers_hold(tmp_path, run_cli):
    """The sealed manifest lists no holdout events: without the key the check says the holdout is sealed (not
    '0 holdout-only events'); with --holdout --reveal it counts them in the holdout layers."""
    src = write(tmp_path, stage_text(), "site.usda")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"seeds": {"train": 7}, "events": {
        "person_enters_corridor": {}, "zone_access_change": {"holdout_only": True}}}))
    out, vault, key = tmp_path / "o", tmp_path / "vault", tmp_path / "seal.key"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 2, "--seal", key,
            "--holdout-out", vault)
    line = next(ln for ln in run_cli("verify", out).output.splitlines() if "holdout-only events" in ln)
    assert line.startswith("ok") and "2 train layers free of" in line and "holdout sealed" in line
    result = run_cli("verify", out, "--holdout", vault, "--reveal", key)
    line = next(ln for ln in result.output.splitlines() if "holdout-only events" in ln)
    assert line.startswith("ok") and line.endswith("; 2 holdout-only events in holdout")


def test_a_person_leaving_in_the_last_frame_keeps_its_samples_inside_the_stage_range(tmp_path, run_cli):
    """The 'switched off' sample one frame after the exit must not pass the window's end: a person leaving in the
    window's last frame wrote a sample past endTimeCode (validate: time-samples-in-range error)."""
    # corridor path 20 - 2 * (0.25 + 0.05) = 19.4 m at 1.94 m/s, speeding up and slowing down at 10 m/s^2 and no
    # pause, on cells snapped to the grid: 10.388-10.391 s; starting at ~9.605 s it arrives in the last frame
    out, _ = _generate(tmp_path, run_cli, stage_text(), {"person_enters_corridor": {
        "window": [0, 20], "start": {"low": 9.605, "high": 9.6055}, "speed": {"low": 1.94, "high": 1.9401},
        "acceleration": 10, "pause": {"low": 0, "high": 1e-6}}},
        n_train=2, n_holdout=1)
    for v in _variants(out)[1]:
        (e,) = v["events"]
        assert e["parameters"]["exit"] is not None and e["end_time_code"] > 479
        stage = Usd.Stage.Open(str(out / v["path"]))
        prim = stage.GetPrimAtPath(e["prim"])
        assert UsdGeom.Imageable(prim).ComputeVisibility(480) == "invisible"
        assert prim.GetAttribute("physics:collisionEnabled").Get(480) is False
    result = run_cli("validate", out, "--rules", "time-samples-in-range")
    assert "0 errors" in result.output


def test_event_prims_are_parked_at_the_default_time(tmp_path, run_cli):
    """An engine that reads the default time and plays no samples (Newton's importer) finds every event body of
    every kind in its state before the event: each time-sampled attribute has a default equal to its first
    sample, and each body is not collidable, invisible and parked 1 m below the lowest point of the source.
    verify's `events parked` check names a layer edited to break it."""
    events = {"person_enters_corridor": {"region": "corridor"}, "patient_obstructs_path": {"region": "corridor"},
              "alarm_reroute": {"light": "nearest"}, "zone_access_change": {}}
    out, _ = _generate(tmp_path, run_cli, stage_text(), events)
    lowest = _lowest(out)[2]
    stage = Usd.Stage.Open(str(out / "train" / "train-00000.usdc"))
    cache = UsdGeom.BBoxCache(Usd.TimeCode.Default(), ["default"])
    sampled, bodies = 0, set()
    for prim in stage.Traverse():
        for attr in prim.GetAttributes():
            times = attr.GetTimeSamples()
            if times:
                sampled += 1
                assert attr.Get(Usd.TimeCode.Default()) == attr.Get(times[0]), attr.GetPath()
        if prim.HasAttribute("physics:collisionEnabled") and "/TwinsplitEvents/" in str(prim.GetPath()):
            bodies.add(prim.GetName())
            assert prim.GetAttribute("physics:collisionEnabled").Get(Usd.TimeCode.Default()) is False
            assert UsdGeom.Imageable(prim).ComputeVisibility(Usd.TimeCode.Default()) == "invisible"
            top = cache.ComputeWorldBound(prim).ComputeAlignedRange().GetMax()[2]
            assert top <= lowest - 1.0 + 1e-4, prim.GetPath()
    assert {"Person_0", "Patient_0", "Blocker"} <= bodies and any(b.startswith("Barrier_") for b in bodies)
    assert sampled >= 12  # the lamp's intensity and the zone's access token (source prims) included
    assert "ok    events parked: " in run_cli("verify", out).output
    assert "0 errors, 0 warnings" in run_cli("validate", out, "--rules", "events-parked,time-sampled-default").output
    # An edited layer: the person collidable and at its entry point at the default time, the zone token without
    # a default. (rederive fails too: the bytes differ; events parked names what is wrong.)
    from pxr import Sdf

    layer = Sdf.Layer.FindOrOpen(str(out / "train" / "train-00000.usdc"))
    person = layer.GetPrimAtPath("/World/TwinsplitEvents/Person_0")
    person.attributes["physics:collisionEnabled"].default = True
    translate = person.attributes["xformOp:translate"]
    translate.default = layer.QueryTimeSample(translate.path, layer.ListTimeSamplesForPath(translate.path)[1])
    access = next(a for a in _attr_specs(layer) if a.name == "twinsplit:zone:access")
    access.ClearDefaultValue()
    layer.Save()
    result = run_cli("verify", out, "--json", expect=1)
    check = next(c for c in json.loads(result.output)["checks"] if c["name"] == "events parked")
    found = {(f["prim"], f["attribute"]) for f in check["findings"]}
    assert found == {("/World/TwinsplitEvents/Person_0", "physics:collisionEnabled"),
                     ("/World/TwinsplitEvents/Person_0", "xformOp:translate"),
                     (str(access.owner.path), "twinsplit:zone:access")}


def _attr_specs(layer):
    from pxr import Sdf

    out = []
    layer.Traverse("/", lambda p: out.append(layer.GetObjectAtPath(p)) if p.IsPropertyPath() else None)
    return [a for a in out if isinstance(a, Sdf.AttributeSpec)]
