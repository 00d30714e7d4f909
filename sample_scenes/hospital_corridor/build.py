"""Build `hospital_corridor.usda`: a 40 m hospital corridor with four rooms on each side.

Run from the repository root: `python sample_scenes/hospital_corridor/build.py` (writes next to this file).
Importable too: `build(path)` writes the stage to `path` and returns it.

Layout (meters, floor top at z = 0, walls 3 m high):
  - corridor along +X, x in [-20, 20], y in [-1.5, 1.5] (`corridor` region, `route` along its centerline);
  - rooms North_0..3 (y > 0) and South_0..3 (y < 0), each 10 m wide, 5 m deep (`room` regions), entered by a
    1.4 m x 2.1 m doorway whose gap is really left in the corridor wall (`doorway` regions, lintel above);
  - North_0 is an isolation room: an `infection_control` region covers it and its doorway;
  - South_2 holds the nurse station (static counter, desk, cabinet);
  - beds and medication carts are compound rigid bodies on wheels, resting exactly on the floor.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # sample_scenes/ is not a package
import _simready as sr  # noqa: E402

NAME = "hospital_corridor"
HERE = Path(__file__).resolve().parent

HALF_LEN = 20.0       # corridor runs x in [-HALF_LEN, HALF_LEN]
HALF_W = 1.5          # corridor half width
T = 0.15              # wall thickness
ROOM_D = 5.0          # room depth (interior)
WALL_H = 3.0
DOOR_W, DOOR_H = 1.4, 2.1
ROOM_X = (-15.0, -5.0, 5.0, 15.0)  # room (and doorway) center x
SIDES = {"North": 1.0, "South": -1.0}

INNER = HALF_W + T            # |y| of a room's corridor-side interior face
OUTER = INNER + ROOM_D        # |y| of a room's exterior-wall interior face


def _materials(stage):
    # look: (colour, roughness[, metallic]); physics: (static, dynamic friction, restitution, density)
    return sr.library(stage, {
        "Vinyl": ((0.62, 0.7, 0.66), 0.35),
        "Plaster": ((0.93, 0.93, 0.9), 0.85),
        "DoorWood": ((0.6, 0.43, 0.28), 0.6),
        "BedFrame": ((0.8, 0.82, 0.85), 0.3, 0.7),
        "Mattress": ((0.35, 0.55, 0.75), 0.8),
        "CartBlue": ((0.15, 0.35, 0.75), 0.4),
        "Rubber": ((0.06, 0.06, 0.06), 0.9),
        "Laminate": ((0.85, 0.8, 0.7), 0.5),
        "BinYellow": ((0.95, 0.8, 0.1), 0.5),
    }, {
        "Vinyl": (0.7, 0.55, 0.1, 1400.0),
        "Drywall": (0.6, 0.5, 0.05, 800.0),
        "Aluminum": (0.45, 0.35, 0.25, 2700.0),
        "Foam": (0.8, 0.7, 0.02, 60.0),
        "Rubber": (1.0, 0.85, 0.6, 1100.0),
        "Wood": (0.55, 0.4, 0.3, 650.0),
    })


def _wall(stage, path, x0, x1, y0, y1, looks, phys, z0=0.0, z1=WALL_H):
    b = sr.Box(((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2), (x1 - x0, y1 - y0, z1 - z0))
    sr.box(stage, path, b, labels=["wall"], look=looks["Plaster"], phys=phys["Drywall"])


def _building(stage, looks, phys):
    sr.group(stage, "/World/Building")
    g = "/World/Building"
    sr.box(stage, f"{g}/Floor", sr.Box((0.0, 0.0, -0.05), (2 * (HALF_LEN + T), 2 * (OUTER + T), 0.1)),
           labels=["floor"], look=looks["Vinyl"], phys=phys["Vinyl"])
    # exterior walls: long ones span the full length, end walls fit between them
    for side, s in SIDES.items():
        y0, y1 = sorted((s * OUTER, s * (OUTER + T)))
        _wall(stage, f"{g}/Exterior_{side}", -HALF_LEN - T, HALF_LEN + T, y0, y1, looks, phys)
    _wall(stage, f"{g}/Exterior_East", HALF_LEN, HALF_LEN + T, -OUTER, OUTER, looks, phys)
    _wall(stage, f"{g}/Exterior_West", -HALF_LEN - T, -HALF_LEN, -OUTER, OUTER, looks, phys)
    # corridor walls: segments between doorway gaps, a lintel above each gap
    for side, s in SIDES.items():
        y0, y1 = sorted((s * HALF_W, s * INNER))
        edges = [-HALF_LEN, *[e for x in ROOM_X for e in (x - DOOR_W / 2, x + DOOR_W / 2)], HALF_LEN]
        for k in range(len(ROOM_X) + 1):
            _wall(stage, f"{g}/Corridor_{side}_{k}", edges[2 * k], edges[2 * k + 1], y0, y1, looks, phys)
        for r, x in enumerate(ROOM_X):
            _wall(stage, f"{g}/Lintel_{side}_{r}", x - DOOR_W / 2, x + DOOR_W / 2, y0, y1, looks, phys, z0=DOOR_H)
        # partitions between neighbouring rooms
        for k, x in enumerate((-10.0, 0.0, 10.0)):
            py0, py1 = sorted((s * INNER, s * OUTER))
            _wall(stage, f"{g}/Partition_{side}_{k}", x - T / 2, x + T / 2, py0, py1, looks, phys)
    # open door leaves, swung into each room against the gap's +X edge
    for side, s in SIDES.items():
        for r, x in enumerate(ROOM_X):
            y0, y1 = sorted((s * INNER, s * (INNER + DOOR_W - 0.1)))
            b = sr.Box((x + DOOR_W / 2 + 0.025, (y0 + y1) / 2, DOOR_H / 2), (0.05, y1 - y0, DOOR_H))
            sr.box(stage, f"{g}/Door_{side}_{r}", b, labels=["door"], look=looks["DoorWood"], phys=phys["Wood"])


def room_interior(side: str, r: int) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of a room's free floor."""
    s = SIDES[side]
    x0 = -HALF_LEN if r == 0 else (-10.0, 0.0, 10.0)[r - 1] + T / 2
    x1 = HALF_LEN if r == len(ROOM_X) - 1 else (-10.0, 0.0, 10.0)[r] - T / 2
    y0, y1 = sorted((s * INNER, s * OUTER))
    return x0, x1, y0, y1


def _bed(stage, looks, phys, path, x, y, yaw):
    """Hospital bed on four casters; local +X is the foot end, the headboard sits at -X."""
    sr.rigid_body(stage, path, (x, y, 0.0), mass=140.0, labels=["bed"], yaw_deg=yaw)
    r = 0.075
    frame = sr.on_top(2 * r, 0.0, 0.0, (2.1, 1.0, 0.4))
    sr.box(stage, f"{path}/Frame", frame, labels=["bed"], look=looks["BedFrame"], phys=phys["Aluminum"])
    sr.box(stage, f"{path}/Mattress", sr.on_top(frame.top, 0.025, 0.0, (2.05, 0.9, 0.15)), labels=["bed", "mattress"],
           look=looks["Mattress"], phys=phys["Foam"])
    sr.box(stage, f"{path}/Headboard", sr.on_top(frame.top, -1.025, 0.0, (0.05, 1.0, 0.6)), labels=["bed"],
           look=looks["BedFrame"], phys=phys["Aluminum"])
    for i, (wx, wy) in enumerate([(-0.9, -0.4), (-0.9, 0.4), (0.9, -0.4), (0.9, 0.4)]):
        sr.cylinder(stage, f"{path}/Caster_{i}", (wx, wy, r), r, 0.05, axis="Y", labels=["bed", "wheel"],
                    look=looks["Rubber"], phys=phys["Rubber"])


def _cart(stage, looks, phys, path, x, y, yaw):
    """Medication cart (0.8 m x 0.5 m) on four casters."""
    sr.rigid_body(stage, path, (x, y, 0.0), mass=45.0, labels=["cart"], yaw_deg=yaw)
    r = 0.05
    body = sr.on_top(2 * r, 0.0, 0.0, (0.8, 0.5, 0.85))
    sr.box(stage, f"{path}/Body", body, labels=["cart"], look=looks["CartBlue"], phys=phys["Aluminum"])
    sr.box(stage, f"{path}/Handle", sr.on_top(body.top, -0.375, 0.0, (0.05, 0.45, 0.15)), labels=["cart"],
           look=looks["BedFrame"], phys=phys["Aluminum"])
    for i, (wx, wy) in enumerate([(-0.32, -0.2), (-0.32, 0.2), (0.32, -0.2), (0.32, 0.2)]):
        sr.cylinder(stage, f"{path}/Caster_{i}", (wx, wy, r), r, 0.04, axis="Y", labels=["cart", "wheel"],
                    look=looks["Rubber"], phys=phys["Rubber"])


def _furniture(stage, looks, phys):
    sr.group(stage, "/World/Beds")
    sr.group(stage, "/World/Carts")
    # a bed against the back wall of every patient room (headboard towards the exterior wall)
    beds = [(side, r) for side in SIDES for r in range(len(ROOM_X)) if (side, r) != ("South", 2)]
    for side, r in beds:
        s = SIDES[side]
        y = s * (OUTER - 0.1 - 1.05)
        sr_yaw = -90.0 if s > 0 else 90.0
        _bed(stage, looks, phys, f"/World/Beds/Bed_{side}_{r}", ROOM_X[r] - 2.5, y, sr_yaw)
    # a bed being moved along the corridor, kept off the centerline route
    _bed(stage, looks, phys, "/World/Beds/Bed_Corridor", 9.0, -0.85, 0.0)
    carts = [("Cart_0", -8.0, 1.1, 0.0), ("Cart_1", 1.5, -1.1, 180.0),
             ("Cart_2", ROOM_X[1] + 2.0, OUTER - 0.4, 0.0), ("Cart_3", ROOM_X[3] + 3.0, -(INNER + 0.5), 90.0)]
    for name, x, y, yaw in carts:
        _cart(stage, looks, phys, f"/World/Carts/{name}", x, y, yaw)
    # waste bins (cylinders) in two rooms
    sr.group(stage, "/World/Bins")
    for i, (x, y) in enumerate([(ROOM_X[0] + 4.4, OUTER - 0.3), (ROOM_X[0] + 4.4, -(OUTER - 0.3))]):
        sr.cylinder(stage, f"/World/Bins/Bin_{i}", (x, y, 0.35), 0.2, 0.7, labels=["bin"], look=looks["BinYellow"],
                    phys=phys["Rubber"], mass=6.0)


def _nurse_station(stage, looks, phys):
    g = "/World/NurseStation"
    sr.group(stage, g)
    x = ROOM_X[2]
    parts = {
        "Counter": sr.on_top(0.0, x, -3.6, (5.0, 0.6, 1.1)),
        "Desk": sr.on_top(0.0, x, -5.0, (3.0, 0.8, 0.75)),
        "Cabinet": sr.on_top(0.0, x, -(OUTER - 0.3), (2.0, 0.6, 1.8)),
    }
    for name, b in parts.items():
        sr.box(stage, f"{g}/{name}", b, labels=["nurse_station"], look=looks["Laminate"], phys=phys["Wood"])


def _regions(stage):
    g = "/World/Regions"
    sr.group(stage, g)
    sr.region(stage, f"{g}/Corridor", "corridor", (0.0, 0.0, WALL_H / 2), (2 * HALF_LEN, 2 * HALF_W, WALL_H))
    sr.region(stage, f"{g}/Route", "route", (0.0, 0.0, 1.0), (2 * HALF_LEN - 2.0, 0.5, 2.0))
    for side, s in SIDES.items():
        for r, x in enumerate(ROOM_X):
            x0, x1, y0, y1 = room_interior(side, r)
            sr.region(stage, f"{g}/Room_{side}_{r}", "room", ((x0 + x1) / 2, (y0 + y1) / 2, WALL_H / 2),
                      (x1 - x0, y1 - y0, WALL_H))
            sr.region(stage, f"{g}/Doorway_{side}_{r}", "doorway", (x, s * (HALF_W + T / 2), DOOR_H / 2),
                      (DOOR_W, T, DOOR_H))
    # isolation room North_0 together with its doorway (from the corridor face of the wall to the back wall)
    x0, x1, _, _ = room_interior("North", 0)
    sr.region(stage, f"{g}/Isolation_North_0", "infection_control", ((x0 + x1) / 2, (HALF_W + OUTER) / 2, WALL_H / 2),
              (x1 - x0, OUTER - HALF_W, WALL_H))


def _lights(stage):
    g = "/World/Lights"
    sr.group(stage, g)
    for i in range(10):  # corridor ceiling panels every 4 m
        sr.rect_light(stage, f"{g}/Corridor_{i}", (-18.0 + 4.0 * i, 0.0, WALL_H - 0.02), width=1.2, height=0.6,
                      intensity=6000.0, exposure=0.0, color=(1.0, 0.98, 0.95))
    for side, s in SIDES.items():
        for r, x in enumerate(ROOM_X):
            sr.rect_light(stage, f"{g}/Room_{side}_{r}", (x, s * (INNER + ROOM_D / 2), WALL_H - 0.02), width=1.2,
                          height=1.2, intensity=5000.0, exposure=0.0, color=(1.0, 0.96, 0.9))
    sr.sphere_light(stage, f"{g}/NurseStationPendant", (ROOM_X[2], -4.3, 2.5), radius=0.15, intensity=20000.0,
                    exposure=-1.0, color=(1.0, 0.9, 0.8))
    sr.sphere_light(stage, f"{g}/IsolationExamLamp", (ROOM_X[0] - 2.5, OUTER - 1.2, 2.2), radius=0.1,
                    intensity=25000.0, exposure=-1.0, color=(0.95, 0.97, 1.0))
    sr.dome_light(stage, f"{g}/Sky", intensity=300.0, exposure=0.0, color=(0.8, 0.85, 1.0))


def build(path: str | Path):
    stage, _ = sr.new_stage(path, "twinsplit sample: hospital corridor with rooms, doorways, beds and carts")
    looks, phys = _materials(stage)
    _building(stage, looks, phys)
    _nurse_station(stage, looks, phys)
    _furniture(stage, looks, phys)
    _regions(stage)
    _lights(stage)
    sr.save(stage, path)
    return stage


if __name__ == "__main__":
    build(HERE / f"{NAME}.usda")
    print(f"wrote {HERE / f'{NAME}.usda'}")
