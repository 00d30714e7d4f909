"""People on sites built in the test (an L-shaped corridor with a parked cart, a room behind a doorway, two doors
and an alarm, a zone that closes) and on the fab sample scene: every person sample is checked from the written USD
with code independent of the planner (people_sites.check_people: pxr world boxes as shapely footprints); layout
keeps people's ways clear when `keep_clear` says so, and verify re-checks it from the written layer."""

from __future__ import annotations

from html import escape

import numpy as np
import pytest
import shapely
import yaml
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

from conftest import REPO
from people_sites import Item, check_people, manifest, region_box, site

FAB = REPO / "sample_scenes" / "cleanroom_fab" / "cleanroom_fab.usda"


def _walls_around(name: str, x0: float, y0: float, x1: float, y1: float, gaps=()) -> list[Item]:
    """Four 0.2 m walls, 2.5 m tall, around the box x0..x1, y0..y1; `gaps`: (side, from, to) openings."""
    out, t = [], 0.2
    sides = {"s": (y0 - t / 2, x0 - t, x1 + t, True), "n": (y1 + t / 2, x0 - t, x1 + t, True),
             "w": (x0 - t / 2, y0, y1, False), "e": (x1 + t / 2, y0, y1, False)}
    for side, (c, a, b, along_x) in sides.items():
        cuts = sorted((f, g) for s, f, g in gaps if s == side)
        edges = [a] + [v for f, g in cuts for v in (f, g)] + [b]
        for k in range(0, len(edges), 2):
            lo, hi = edges[k], edges[k + 1]
            if hi - lo > 1e-6:
                mid = (lo + hi) / 2
                out.append(Item(f"/World/Walls/{name}_{side}{k // 2}", mid if along_x else c, c if along_x else mid,
                                hi - lo if along_x else t, t if along_x else hi - lo, 2.5))
    return out


def l_corridor(path, **kw):
    """Leg A along x (0..12, 3 m wide) turning north into leg B (x 10.5..13.5, up to y 12); a cart parked in
    the middle of leg A; the goal a bay at leg B's end."""
    items = _walls_around("LegA", 0, -1.5, 13.5, 1.5, gaps=[("n", 10.5, 13.5)])
    items += _walls_around("LegB", 10.5, 1.5, 13.5, 12, gaps=[("s", 10.5, 13.5)])
    items += [Item("/World/Cart", 6, 0, 1.0, 0.6, 1.0, kind="body"),
              Item("/World/Regions/LegA", 6, 0, 12, 3, 2.5, kind="corridor"),
              Item("/World/Regions/Bay", 12, 10.5, 3, 2, 2.5, kind="bay")]
    return site(path, items, **kw)


def rooms(path, zone: bool = False):
    """A corridor (x -8..8, 3 m wide) with two doorways in its north wall, each into its own room: Room_A behind
    Door_A (x -4), Room_B behind Door_B (x 4). With `zone`, Room_A is an infection_control zone."""
    items = _walls_around("Corridor", -8, -1.5, 8, 1.5, gaps=[("n", -4.7, -3.3), ("n", 3.3, 4.7)])
    items += _walls_around("RoomA", -7, 1.7, -1, 5.7)[2:] + _walls_around("RoomB", 1, 1.7, 7, 5.7)[2:]
    items += [Item(f"/World/Walls/{n}", x, 5.8, 6.4, 0.2, 2.5) for n, x in (("RoomA_n", -4), ("RoomB_n", 4))]
    items += [Item("/World/Regions/Corridor", 0, 0, 16, 3, 2.5, kind="corridor"),
              Item("/World/Regions/Door_A", -4, 1.6, 1.4, 0.2, 2.1, kind="doorway"),
              Item("/World/Regions/Door_B", 4, 1.6, 1.4, 0.2, 2.1, kind="doorway"),
              Item("/World/Regions/Room_A", -4, 3.7, 5.8, 3.8, 2.5, kind="infection_control" if zone else "room"),
              Item("/World/Regions/Room_B", 4, 3.7, 5.8, 3.8, 2.5, kind="room")]
    return site(path, items)


def _generate(tmp_path, run_cli, src, events, *, randomize=None, n=(4, 2), seeds=(7, 8), name="o"):
    cfg = tmp_path / f"{name}.yaml"
    cfg.write_text(yaml.safe_dump({"seeds": {"train": seeds[0], "holdout": seeds[1]}, "events": events}
                                  | ({"randomize": randomize} if randomize else {})))
    out = tmp_path / name
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", n[0], "--holdout", n[1])
    return out, manifest(out)


@pytest.mark.parametrize("units", [dict(up="Z", mpu=1.0), dict(up="Y", mpu=0.01)], ids=["m-zup", "cm-yup"])
def test_people_go_around_a_cart_parked_in_an_l_shaped_corridor(tmp_path, run_cli, units):
    src = l_corridor(tmp_path / "l.usda", **units)
    person = {"region": "/World/Regions/LegA", "goal": "bay", "count": 4, "window": [0, 30],
              "start": {"low": 0, "high": 8}, "direction": {"distribution": "choice", "choices": ["forward"]},
              "speed": {"low": 1.0, "high": 1.6}, "pause": {"low": 0, "high": 0.5}}
    out, m = _generate(tmp_path, run_cli, src, {"person_enters_corridor": person})
    bay = region_box(src, "/World/Regions/Bay")
    cart = region_box(src, "/World/Cart")
    arrived = around = 0
    for v in m["variants"]:
        walked = check_people(out, v)
        assert walked.samples > 20
        for e in walked.people:
            if e["parameters"]["exit"] is not None:
                arrived += 1
                assert bay.buffer(1e-6).contains(shapely.Point(*walked.last[e["prim"]])), e["prim"]
            # the straight line from the entry along leg A would cross the cart: the way bends around it
            way = shapely.LineString([p for _, p in walked.track[e["prim"]]])
            straight = shapely.LineString([walked.track[e["prim"]][0][1], walked.track[e["prim"]][0][1]
                                           + np.array([12.0 / units["mpu"], 0.0])])
            if straight.distance(cart) < 0.25 / units["mpu"]:
                around += 1
                assert way.distance(cart) >= 0.25 / units["mpu"] - 1e-6
    assert arrived >= len(m["variants"]) * 2 and around >= 1
    assert "ok    people clear" in run_cli("verify", out).output


def test_people_walk_through_a_doorway_into_the_room_behind_it(tmp_path, run_cli):
    src = rooms(tmp_path / "rooms.usda")
    person = {"region": "corridor", "goal": "/World/Regions/Room_B", "count": 3, "window": [0, 30],
              "start": {"low": 0, "high": 6}, "speed": {"low": 1.0, "high": 1.5}}
    out, m = _generate(tmp_path, run_cli, src, {"person_enters_corridor": person})
    room, door = region_box(src, "/World/Regions/Room_B"), region_box(src, "/World/Regions/Door_B")
    inside = 0
    for v in m["variants"]:
        walked = check_people(out, v)
        for e in walked.people:
            assert e["parameters"]["goal"] == "/World/Regions/Room_B"
            assert e["parameters"]["exit"] is not None
            assert room.contains(shapely.Point(*walked.last[e["prim"]]))
            assert shapely.LineString([p for _, p in walked.track[e["prim"]]]).intersects(door)  # through the door
            inside += 1
    assert inside == 3 * len(m["variants"])


# Four people bound for either room; the alarm closes Door_A a few seconds in.
TWO_DOORS_ALARM = {
    "person_enters_corridor": {"region": "corridor", "goal": ["/World/Regions/Room_A", "/World/Regions/Room_B"],
                               "count": 4, "window": [0, 30], "start": {"low": 0, "high": 1},
                               "speed": {"low": 0.5, "high": 0.7}, "pause": {"low": 0, "high": 0.1}},
    "alarm_reroute": {"close": "/World/Regions/Door_A", "window": [0, 30], "start": {"low": 3, "high": 4}},
}


def test_the_alarm_closes_one_door_and_people_replan_to_the_other(tmp_path, run_cli):
    src = rooms(tmp_path / "rooms.usda")
    out, m = _generate(tmp_path, run_cli, src, TWO_DOORS_ALARM)
    room_b = region_box(src, "/World/Regions/Room_B")
    replanned = 0
    for v in m["variants"]:
        walked = check_people(out, v)  # the alarm's blocker included, from its switch-on
        for r in v.get("reactions", []):
            if r["what"] == "reroute to another exit" and "Alarm" in r["trigger"]:
                assert r["detail"] == "to /World/Regions/Room_B"
                e = next(e for e in walked.people if e["prim"] == r["who"])
                assert e["parameters"]["goal"] == "/World/Regions/Room_B"
                if e["parameters"]["exit"] is not None:
                    assert room_b.contains(shapely.Point(*walked.last[r["who"]]))
                replanned += 1
    assert replanned >= 1
    assert "ok    people clear" in run_cli("verify", out).output


def test_after_a_zone_change_no_person_is_inside_the_zone(tmp_path, run_cli):
    src = rooms(tmp_path / "rooms.usda", zone=True)
    events = {"person_enters_corridor": {"region": "corridor", "goal": ["/World/Regions/Room_A",
                                                                        "/World/Regions/Room_B"],
                                         "count": 6, "window": [0, 30], "start": {"low": 0, "high": 8},
                                         "speed": {"low": 1.0, "high": 1.5}},
              "zone_access_change": {"zone": "infection_control", "window": [0, 30], "start": {"low": 9, "high": 13}}}
    out, m = _generate(tmp_path, run_cli, src, events)
    zone = region_box(src, "/World/Regions/Room_A")
    before = reactions = 0
    for v in m["variants"]:
        change = next(e for e in v["events"] if e["kind"] == "zone_access_change")
        walked = check_people(out, v, no_go=zone, no_go_from=change["start_time_code"])
        before += sum(zone.contains(shapely.Point(*p)) for tr in walked.track.values() for _, p in tr)
        reactions += sum("Room_A" in r.get("why", "") for r in v.get("reactions", []))
    assert before > 0 and reactions > 0  # people did go in before it closed, and reacted to it


def test_layout_keeps_people_ways_clear_and_verify_rechecks_it(tmp_path, run_cli):
    """A 4 m corridor with a cart in its middle that layout may move 1.5 m either way: with keep_clear no moved
    body's footprint (read back from the written USD) touches a person's way; without it (same seeds) a cart
    lands on one; a cart moved onto a way in the layer makes verify's layout check fail naming the way."""
    items = _walls_around("C", -8, -2, 8, 2) + [Item("/World/Cart", 0, 0, 1.0, 0.6, 1.0, kind="body"),
                                                Item("/World/Regions/C", 0, 0, 16, 4, 2.5, kind="corridor")]
    src = site(tmp_path / "wide.usda", items)
    person = {"count": 2, "window": [0, 20], "start": {"low": 0, "high": 4}}
    layout = {"layout": {"offset": {"low": -1.5, "high": 1.5}}}
    kept, m = _generate(tmp_path, run_cli, src, {"person_enters_corridor": person | {"keep_clear": True}},
                        randomize=layout, n=(8, 4), name="kept")
    free, m_free = _generate(tmp_path, run_cli, src, {"person_enters_corridor": person}, randomize=layout,
                             n=(8, 4), name="free")
    on_way = 0
    for v, v_free in zip(m["variants"], m_free["variants"], strict=True):
        ways = v["notes"]["randomize.layout[0]"]["kept_clear"]
        assert {w["for"] for w in ways} == {e["prim"] for e in v["events"]}
        strips = shapely.union_all([shapely.LineString([p[:2] for p in w["way"]]).buffer(
            w["half_width"], cap_style="square") for w in ways])
        cart = region_box(kept / v["path"], "/World/Cart")
        moved = not cart.equals_exact(region_box(src, "/World/Cart"), 1e-9)
        assert not moved or not cart.intersects(strips.buffer(-1e-4)), v["id"]
        check_people(kept, v)
        on_way += region_box(free / v_free["path"], "/World/Cart").intersects(strips.buffer(-1e-4))
    assert on_way >= 1
    assert "ok    layout" in run_cli("verify", kept).output
    # tamper: the first variant whose cart moved gets it moved onto its first person's entry
    v = next(v for v in m["variants"] if not region_box(kept / v["path"], "/World/Cart").equals_exact(
        region_box(src, "/World/Cart"), 1e-9))
    entry = v["notes"]["randomize.layout[0]"]["kept_clear"][0]["way"][1]
    layer = Sdf.Layer.FindOrOpen(str(kept / v["path"]))
    spec = layer.GetAttributeAtPath("/World/Cart.xformOp:transform")
    mat = Gf.Matrix4d(spec.default)
    mat.SetTranslateOnly(Gf.Vec3d(entry[0] + 1.0, entry[1], mat.ExtractTranslation()[2]))
    spec.default = mat
    layer.Save()
    result = run_cli("verify", kept, expect=1)
    assert "/World/Cart is inside keep-out region the way of /World/TwinsplitEvents/" in result.output


def test_fab_crowd_clear_of_colliders_and_the_restricted_zone_with_fixed_columns(tmp_path, run_cli):
    cfg = yaml.safe_load((REPO / "sample_scenes" / "cleanroom_fab" / "twin.yaml").read_text())
    cfg["seeds"] = {"train": 5, "holdout": 6}
    cfg["events"]["person_enters_corridor"] = {"region": "aisle", "count": 8, "goal": "bay",
                                               "people": {"low": 2, "high": 9}, "roles": {"staff": {}, "visitor": {}},
                                               "window": [0, 20]}
    cfg["events"]["zone_access_change"] = {"zone": "restricted", "window": [0, 20], "start": {"low": 4, "high": 8}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "o"
    run_cli("generate", FAB, "--config", path, "--out", out, "--train", 4, "--holdout", 2)
    m = manifest(out)
    stage = Usd.Stage.Open(str(FAB))
    zone_path = next(str(p.GetPath()) for p in stage.Traverse()
                     if p.GetAttribute("twinsplit:region").Get() == "restricted")
    zone = region_box(FAB, zone_path)
    counts = set()
    for v in m["variants"]:
        change = next(e for e in v["events"] if e["kind"] == "zone_access_change")
        walked = check_people(out, v, no_go=zone, no_go_from=change["start_time_code"])
        counts.add(len(walked.people))
    active = [p["name"] for p in m["parameters"] if p["key"] == "active"]
    assert len(counts) > 1 and len(active) == 8  # the number of people varies; one active column per slot
    assert "ok    people clear" in run_cli("verify", out).output
    again = tmp_path / "again"
    run_cli("generate", FAB, "--config", path, "--out", again, "--train", 4, "--holdout", 2)
    for v in m["variants"]:
        assert (out / v["path"]).read_bytes() == (again / v["path"]).read_bytes()
    assert (out / "manifest.json").read_bytes() == (again / "manifest.json").read_bytes()


def test_report_timeline_shows_reactions_and_the_floor_plan_people_paths_by_split(tmp_path, run_cli):
    from twinsplit.report import floorplan
    from twinsplit.verify.set_plan import derive_plan

    src = rooms(tmp_path / "rooms.usda")
    out, m = _generate(tmp_path, run_cli, src, TWO_DOORS_ALARM)
    counts: dict[str, int] = {}
    for v in m["variants"]:
        for r in v.get("reactions", []):
            counts[r["what"]] = counts.get(r["what"], 0) + 1
    assert counts.get("reroute to another exit", 0) >= 1
    report = tmp_path / "r.html"
    run_cli("report", out, "-o", report)
    html = report.read_text()
    caption = "people's reactions (markers on their variant's row): " + ", ".join(
        f"{n} {w}" for w, n in sorted(counts.items()))
    assert escape(caption) in html
    # the floor plan draws each person's planned corners (not a straight entry-exit line), per split
    floor = floorplan.floor(derive_plan(out, m, None), m)
    for split in ("train", "holdout"):
        drawn = floor.splits[split].paths
        want = [np.asarray(e["parameters"]["waypoints"])[:, :2] for v in m["variants"] if v["split"] == split
                for e in v["events"] if e["kind"] == "person_enters_corridor"]
        assert len(drawn) == len(want) and all(np.allclose(a, b) for a, b in zip(drawn, want, strict=True))
        assert any(len(p) > 2 for p in drawn)


def _mesh_wall(path, pieces, name="/World/Walls/CorridorNorthMesh") -> None:
    """Replace the corridor's north wall cubes by one static triangle-mesh collider (approximation "none") made of
    `pieces` (x0, x1, y0, y1, height) cuboids: many triangles, one prim path."""
    stage = Usd.Stage.Open(str(path))
    for prim in list(stage.GetPrimAtPath("/World/Walls").GetChildren()):
        if prim.GetName().startswith("Corridor_n"):
            stage.RemovePrim(prim.GetPath())
    points, counts, indices = [], [], []
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    for x0, x1, y0, y1, h in pieces:
        base = len(points)
        points += [Gf.Vec3f(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (0.0, h)]
        for q in quads:
            counts.append(4)
            indices += [base + i for i in q]
    mesh = UsdGeom.Mesh.Define(stage, name)
    mesh.CreatePointsAttr(points)
    mesh.CreateFaceVertexCountsAttr(counts)
    mesh.CreateFaceVertexIndicesAttr(indices)
    UsdPhysics.CollisionAPI.Apply(mesh.GetPrim())
    UsdPhysics.MeshCollisionAPI.Apply(mesh.GetPrim()).CreateApproximationAttr("none")
    stage.Save()


def test_a_triangle_mesh_wall_blocks_people_along_its_whole_length(tmp_path, run_cli):
    # one mesh prim is many collider shapes with the same path: every one of them blocks the grid, not the last
    src = rooms(tmp_path / "rooms.usda")
    pieces = [(-8.2, -4.7, 1.5, 1.7, 2.5), (-3.3, 3.3, 1.5, 1.7, 2.5), (4.7, 8.2, 1.5, 1.7, 2.5)]
    _mesh_wall(src, pieces)
    person = {"region": "corridor", "goal": ["/World/Regions/Room_A", "/World/Regions/Room_B"], "count": 3,
              "window": [0, 30], "start": {"low": 0, "high": 6}, "speed": {"low": 1.0, "high": 1.5}}
    out, m = _generate(tmp_path, run_cli, src, {"person_enters_corridor": person})
    wall = shapely.union_all([shapely.box(x0, y0, x1, y1) for x0, x1, y0, y1, _ in pieces])
    doors = [region_box(src, f"/World/Regions/Door_{k}") for k in "AB"]
    arrived = 0
    for v in m["variants"]:
        stage = Usd.Stage.Open(str(out / v["path"]))
        for e in (e for e in v["events"] if e["kind"] == "person_enters_corridor"):
            attr = stage.GetPrimAtPath(e["prim"]).GetAttribute("xformOp:translate")
            on = stage.GetPrimAtPath(e["prim"]).GetAttribute("physics:collisionEnabled")
            track = [np.asarray(attr.Get(t))[:2] for t in attr.GetTimeSamples() if on.Get(t)]
            way = shapely.LineString(track)
            radius = UsdGeom.Capsule(stage.GetPrimAtPath(e["prim"])).GetRadiusAttr().Get()
            assert way.distance(wall) >= radius - 1e-3, (v["id"], e["prim"], way.distance(wall))
            if e["parameters"]["exit"] is not None:
                arrived += 1
                assert any(way.intersects(d) for d in doors), (v["id"], e["prim"])  # in through a doorway
    assert arrived >= len(m["variants"])
    assert "ok    people clear" in run_cli("verify", out).output
