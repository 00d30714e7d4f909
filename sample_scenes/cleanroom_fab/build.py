"""Build `cleanroom_fab.usda`: a semiconductor cleanroom with six tool bays off a central transport aisle.

Run from the repository root: `python sample_scenes/cleanroom_fab/build.py` (writes next to this file).
Importable too: `build(path)` writes the stage to `path` and returns it.

Layout (meters, floor top at z = 0, 4 m clean ceiling):
  - transport aisle along +X, x in [-15, 15], y in [-2, 2] (`aisle` region);
  - bays North_0..2 (y > 0) and South_0..2 (y < 0), 10 m wide (`bay` regions), each entered through a 2.4 m x 2.5 m
    gap left in its front wall (`doorway` regions, lintel above); partitions between bays;
  - static tool cabinets in three pairs per bay along the side walls;
  - bay North_1 is the lithography bay under amber light: a `restricted` region covers it;
  - FOUP carts (compound rigid bodies on casters) in the aisle and bays, each carrying two FOUPs (rigid bodies)
    resting exactly on the cart top;
  - a uniform grid of 24 ceiling rect lights (fan-filter-unit panels).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # sample_scenes/ is not a package
import _simready as sr  # noqa: E402

NAME = "cleanroom_fab"
HERE = Path(__file__).resolve().parent

HALF_X, HALF_Y = 15.0, 10.0
AISLE_HALF = 2.0
T = 0.15
H = 4.0
DOOR_W, DOOR_H = 2.4, 2.5
BAY_X = (-10.0, 0.0, 10.0)
PARTITION_X = (-5.0, 5.0)
SIDES = {"North": 1.0, "South": -1.0}
CABINET = (1.2, 1.8, 2.2)  # x, y, z
CABINET_Y = (4.0, 6.25, 8.5)  # |y| of cabinet centers
FOUP = (0.42, 0.34, 0.33)
LITHO = ("North", 1)


def _materials(stage):
    # look: (colour, roughness[, metallic]); physics: (static, dynamic friction, restitution, density)
    return sr.library(stage, {
        "EpoxyFloor": ((0.78, 0.8, 0.82), 0.25),
        "CleanPanel": ((0.93, 0.94, 0.95), 0.4),
        "ToolWhite": ((0.88, 0.9, 0.92), 0.35, 0.2),
        "ToolGrey": ((0.45, 0.48, 0.52), 0.35, 0.5),
        "Stainless": ((0.72, 0.73, 0.75), 0.25, 0.9),
        "FoupPolycarbonate": ((0.55, 0.62, 0.7), 0.2),
        "Urethane": ((0.2, 0.22, 0.25), 0.8),
    }, {
        "Epoxy": (0.65, 0.5, 0.1, 1200.0),
        "Panel": (0.5, 0.4, 0.15, 600.0),
        "Stainless": (0.55, 0.42, 0.3, 8000.0),
        "Polycarbonate": (0.4, 0.3, 0.45, 1200.0),
        "Urethane": (0.95, 0.8, 0.5, 1150.0),
    })


def _wall(stage, path, x0, x1, y0, y1, looks, phys, z0=0.0, z1=H):
    b = sr.Box(((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2), (x1 - x0, y1 - y0, z1 - z0))
    sr.box(stage, path, b, labels=["wall"], look=looks["CleanPanel"], phys=phys["Panel"])


def bay_interior(side: str, b: int) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) of a bay's free floor."""
    s = SIDES[side]
    x0 = -HALF_X if b == 0 else PARTITION_X[b - 1] + T / 2
    x1 = HALF_X if b == len(BAY_X) - 1 else PARTITION_X[b] - T / 2
    y0, y1 = sorted((s * (AISLE_HALF + T), s * HALF_Y))
    return x0, x1, y0, y1


def _building(stage, looks, phys):
    g = "/World/Building"
    sr.group(stage, g)
    sr.box(stage, f"{g}/Floor", sr.Box((0.0, 0.0, -0.05), (2 * (HALF_X + T), 2 * (HALF_Y + T), 0.1)),
           labels=["floor"], look=looks["EpoxyFloor"], phys=phys["Epoxy"])
    for side, s in SIDES.items():
        y0, y1 = sorted((s * HALF_Y, s * (HALF_Y + T)))
        _wall(stage, f"{g}/Exterior_{side}", -HALF_X - T, HALF_X + T, y0, y1, looks, phys)
    _wall(stage, f"{g}/Exterior_East", HALF_X, HALF_X + T, -HALF_Y, HALF_Y, looks, phys)
    _wall(stage, f"{g}/Exterior_West", -HALF_X - T, -HALF_X, -HALF_Y, HALF_Y, looks, phys)
    for side, s in SIDES.items():
        # bay front walls along the aisle: segments around each entrance gap, a lintel above it
        y0, y1 = sorted((s * AISLE_HALF, s * (AISLE_HALF + T)))
        edges = [-HALF_X, *[e for x in BAY_X for e in (x - DOOR_W / 2, x + DOOR_W / 2)], HALF_X]
        for k in range(len(BAY_X) + 1):
            _wall(stage, f"{g}/Front_{side}_{k}", edges[2 * k], edges[2 * k + 1], y0, y1, looks, phys)
        for b, x in enumerate(BAY_X):
            _wall(stage, f"{g}/Lintel_{side}_{b}", x - DOOR_W / 2, x + DOOR_W / 2, y0, y1, looks, phys, z0=DOOR_H)
        py0, py1 = sorted((s * (AISLE_HALF + T), s * HALF_Y))
        for k, x in enumerate(PARTITION_X):
            _wall(stage, f"{g}/Partition_{side}_{k}", x - T / 2, x + T / 2, py0, py1, looks, phys)


def _tools(stage, looks, phys):
    g = "/World/Tools"
    sr.group(stage, g)
    for side, s in SIDES.items():
        for b in range(len(BAY_X)):
            x0, x1, _, _ = bay_interior(side, b)
            bay = f"{g}/Bay_{side}_{b}"
            sr.group(stage, bay)
            litho = (side, b) == LITHO
            for j, ay in enumerate(CABINET_Y):
                for k, x in enumerate((x0 + 0.1 + CABINET[0] / 2, x1 - 0.1 - CABINET[0] / 2)):
                    sr.box(stage, f"{bay}/Cabinet_{j}_{k}", sr.on_top(0.0, x, s * ay, CABINET),
                           labels=["tool_cabinet", "litho_tool" if litho else "process_tool"],
                           look=looks["ToolGrey" if (j + k) % 2 else "ToolWhite"], phys=phys["Stainless"])


def _foup_cart(stage, looks, phys, name, x, y, yaw):
    """A FOUP cart (compound rigid body on casters) carrying two FOUPs, each its own rigid body."""
    path = f"/World/Carts/{name}"
    sr.rigid_body(stage, path, (x, y, 0.0), mass=38.0, labels=["foup_cart"], yaw_deg=yaw)
    r = 0.05
    deck = sr.on_top(2 * r, 0.0, 0.0, (0.9, 0.6, 0.8))
    sr.box(stage, f"{path}/Deck", deck, labels=["foup_cart"], look=looks["Stainless"], phys=phys["Stainless"])
    sr.box(stage, f"{path}/Handle", sr.on_top(deck.top, -0.425, 0.0, (0.05, 0.5, 0.25)), labels=["foup_cart"],
           look=looks["Stainless"], phys=phys["Stainless"])
    for i, (wx, wy) in enumerate([(-0.38, -0.24), (-0.38, 0.24), (0.38, -0.24), (0.38, 0.24)]):
        sr.cylinder(stage, f"{path}/Caster_{i}", (wx, wy, r), r, 0.04, axis="Y", labels=["foup_cart", "wheel"],
                    look=looks["Urethane"], phys=phys["Urethane"])
    c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    for i, lx in enumerate((-0.185, 0.24)):  # 2 cm clear of the handle and of each other
        sr.box(stage, f"/World/Foups/{name}_Foup_{i}", sr.on_top(deck.top, x + c * lx, y + s * lx, FOUP, yaw),
               labels=["foup"], look=looks["FoupPolycarbonate"], phys=phys["Polycarbonate"], mass=7.5)


def _carts(stage, looks, phys):
    sr.group(stage, "/World/Carts")
    sr.group(stage, "/World/Foups")
    carts = [("Cart_Aisle_0", -6.0, -1.0, 0.0), ("Cart_Aisle_1", 6.5, 1.0, 180.0),
             ("Cart_North_0", BAY_X[0], 5.5, 90.0), ("Cart_North_2", BAY_X[2] + 1.0, 7.0, 90.0),
             ("Cart_South_0", BAY_X[0] - 1.0, -6.0, -90.0), ("Cart_South_1", BAY_X[1], -5.0, 0.0)]
    for name, x, y, yaw in carts:
        _foup_cart(stage, looks, phys, name, x, y, yaw)


def _regions(stage):
    g = "/World/Regions"
    sr.group(stage, g)
    sr.region(stage, f"{g}/TransportAisle", "aisle", (0.0, 0.0, 1.5), (2 * HALF_X, 2 * AISLE_HALF, 3.0))
    for side, s in SIDES.items():
        for b, x in enumerate(BAY_X):
            x0, x1, y0, y1 = bay_interior(side, b)
            sr.region(stage, f"{g}/Bay_{side}_{b}", "bay", ((x0 + x1) / 2, (y0 + y1) / 2, H / 2), (x1 - x0, y1 - y0, H))
            sr.region(stage, f"{g}/Entrance_{side}_{b}", "doorway", (x, s * (AISLE_HALF + T / 2), DOOR_H / 2),
                      (DOOR_W, T, DOOR_H))
    x0, x1, y0, y1 = bay_interior(*LITHO)
    sr.region(stage, f"{g}/LithoRestricted", "restricted", ((x0 + x1) / 2, (y0 + y1) / 2, H / 2), (x1 - x0, y1 - y0, H))


def _lights(stage):
    g = "/World/Lights"
    sr.group(stage, g)
    for j, y in enumerate((-7.5, -2.5, 2.5, 7.5)):
        for i, x in enumerate((-12.5, -7.5, -2.5, 2.5, 7.5, 12.5)):
            sr.rect_light(stage, f"{g}/FFU_{j}_{i}", (x, y, H - 0.02), width=1.2, height=0.6, intensity=5000.0,
                          exposure=0.0, color=(0.97, 0.98, 1.0))
    lx0, lx1, ly0, ly1 = bay_interior(*LITHO)
    for k, x in enumerate((lx0 + 2.5, (lx0 + lx1) / 2, lx1 - 2.5)):
        # lithography bays are lit amber (no short wavelengths that would expose photoresist)
        sr.sphere_light(stage, f"{g}/LithoAmber_{k}", (x, (ly0 + ly1) / 2, 3.5), radius=0.2, intensity=15000.0,
                        exposure=-0.5, color=(1.0, 0.72, 0.2))
    sr.dome_light(stage, f"{g}/Sky", intensity=200.0, exposure=0.0, color=(0.9, 0.93, 1.0))


def build(path: str | Path):
    stage, _ = sr.new_stage(path, "twinsplit sample: cleanroom fab with tool bays, transport aisle and FOUP carts")
    looks, phys = _materials(stage)
    _building(stage, looks, phys)
    _tools(stage, looks, phys)
    _carts(stage, looks, phys)
    _regions(stage)
    _lights(stage)
    sr.save(stage, path)
    return stage


if __name__ == "__main__":
    build(HERE / f"{NAME}.usda")
    print(f"wrote {HERE / f'{NAME}.usda'}")
