"""Build `warehouse.usda`: a 40 m x 30 m Z-up warehouse with shelving, pallets, cartons and a forklift.

Run from the repository root: `python sample_scenes/warehouse/build.py` (writes next to this file).
Importable too: `build(path)` writes the stage to `path` and returns it.

Layout (meters, floor top at z = 0, walls 6 m high):
  - three static shelving rows along +X at y = -9, -3, 3 (x from -14 to 10), two shelf levels each;
  - aisles between/next to the rows (`aisle` regions), a loading-dock lane along the east wall
    (`keepout` region) guarded by capsule bollards;
  - pallets with cartons on the floor, cartons on shelves, an oil drum and a forklift-sized cart,
    all dynamic rigid bodies resting exactly on their support at t = 0.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # sample_scenes/ is not a package
import _simready as sr  # noqa: E402

NAME = "warehouse"
HERE = Path(__file__).resolve().parent

HALF_X, HALF_Y, WALL_H, WALL_T = 20.0, 15.0, 6.0, 0.2
ROW_Y = (-9.0, -3.0, 3.0)
ROW_X0, ROW_X1, ROW_DEPTH = -14.0, 10.0, 1.2
UPRIGHT_W, BOARD_T = 0.1, 0.05
LEVELS = (1.2, 2.4)  # shelf board top heights
SEGMENTS = 3

PALLET = (1.2, 0.8, 0.15)
CARTON = (0.58, 0.38, 0.4)  # 2 x 2 on a pallet with 2 cm gaps


def _materials(stage):
    # look: (colour, roughness[, metallic]); physics: (static, dynamic friction, restitution, density)
    return sr.library(stage, {
        "Concrete": ((0.55, 0.55, 0.52), 0.9),
        "PaintedWall": ((0.82, 0.82, 0.78), 0.8),
        "SteelBlue": ((0.12, 0.25, 0.55), 0.4, 0.8),
        "SteelOrange": ((0.9, 0.45, 0.08), 0.45, 0.6),
        "Pine": ((0.72, 0.56, 0.34), 0.85),
        "Cardboard": ((0.65, 0.48, 0.3), 0.95),
        "ForkliftYellow": ((0.95, 0.75, 0.05), 0.5, 0.3),
        "Rubber": ((0.05, 0.05, 0.05), 0.9),
        "HazardRed": ((0.75, 0.08, 0.06), 0.5),
    }, {
        "Concrete": (0.9, 0.75, 0.05, 2400.0),
        "Steel": (0.6, 0.45, 0.2, 7850.0),
        "Wood": (0.55, 0.4, 0.3, 500.0),
        "Cardboard": (0.5, 0.35, 0.1, 150.0),
        "Rubber": (1.0, 0.85, 0.6, 1100.0),
    })


def _building(stage, looks, phys):
    sr.group(stage, "/World/Building")
    t = WALL_T
    sr.box(stage, "/World/Building/Floor",
           sr.Box((0.0, 0.0, -0.05), (2 * (HALF_X + t), 2 * (HALF_Y + t), 0.1)),
           labels=["floor"], look=looks["Concrete"], phys=phys["Concrete"])
    walls = {
        # north/south span the full length; east/west fit between them so no two walls overlap
        "Wall_North": sr.on_top(0.0, 0.0, HALF_Y + t / 2, (2 * (HALF_X + t), t, WALL_H)),
        "Wall_South": sr.on_top(0.0, 0.0, -HALF_Y - t / 2, (2 * (HALF_X + t), t, WALL_H)),
        "Wall_East": sr.on_top(0.0, HALF_X + t / 2, 0.0, (t, 2 * HALF_Y, WALL_H)),
        "Wall_West": sr.on_top(0.0, -HALF_X - t / 2, 0.0, (t, 2 * HALF_Y, WALL_H)),
    }
    for name, b in walls.items():
        sr.box(stage, f"/World/Building/{name}", b, labels=["wall"], look=looks["PaintedWall"], phys=phys["Concrete"])


def shelf_boards(row_y: float) -> list[tuple[int, int, sr.Box]]:
    """(level, segment, board box) for one shelving row; used again to place cartons on boards."""
    pitch = (ROW_X1 - ROW_X0 - UPRIGHT_W) / SEGMENTS
    out = []
    for lvl, top in enumerate(LEVELS):
        for seg in range(SEGMENTS):
            x0 = ROW_X0 + seg * pitch + UPRIGHT_W
            x1 = ROW_X0 + (seg + 1) * pitch
            out.append((lvl, seg, sr.Box(((x0 + x1) / 2, row_y, top - BOARD_T / 2), (x1 - x0, ROW_DEPTH, BOARD_T))))
    return out


def _shelving(stage, looks, phys):
    sr.group(stage, "/World/Shelving")
    pitch = (ROW_X1 - ROW_X0 - UPRIGHT_W) / SEGMENTS
    upright_h = LEVELS[-1] + 0.3
    for r, y in enumerate(ROW_Y):
        row = f"/World/Shelving/Row_{r}"
        sr.group(stage, row)
        for k in range(SEGMENTS + 1):
            x = ROW_X0 + k * pitch + UPRIGHT_W / 2
            sr.box(stage, f"{row}/Upright_{k}", sr.on_top(0.0, x, y, (UPRIGHT_W, ROW_DEPTH, upright_h)),
                   labels=["shelf"], look=looks["SteelBlue"], phys=phys["Steel"])
        for lvl, seg, b in shelf_boards(y):
            sr.box(stage, f"{row}/Board_L{lvl}_S{seg}", b, labels=["shelf"], look=looks["SteelOrange"],
                   phys=phys["Steel"])


def _pallet_stack(stage, looks, phys, name: str, x: float, y: float, yaw: float, cartons: int) -> None:
    """A pallet on the floor with `cartons` (0..4) on it in a 2 x 2 grid (pallet-local x/y offsets)."""
    p = sr.on_top(0.0, x, y, PALLET, yaw)
    sr.box(stage, f"/World/Goods/{name}", p, labels=["pallet"], look=looks["Pine"], phys=phys["Wood"], mass=22.0)
    c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    for i in range(cartons):
        lx = (-0.3 if i % 2 == 0 else 0.3)
        ly = (-0.2 if i < 2 else 0.2)
        sr.box(stage, f"/World/Goods/{name}_Carton_{i}",
               sr.on_top(p.top, x + c * lx - s * ly, y + s * lx + c * ly, CARTON, yaw),
               labels=["box"], look=looks["Cardboard"], phys=phys["Cardboard"], mass=9.5)


def _goods(stage, looks, phys):
    sr.group(stage, "/World/Goods")
    # Pallets in the aisles' outer staging area (x between 11 and 15, west of the dock lane).
    stacks = [("Pallet_0", 12.0, -11.0, 0.0, 4), ("Pallet_1", 13.6, -11.0, 0.0, 3),
              ("Pallet_2", 12.0, -8.5, 90.0, 2), ("Pallet_3", 13.6, -8.0, 15.0, 4),
              ("Pallet_4", -17.0, 9.0, 0.0, 1), ("Pallet_5", -17.0, 11.0, 30.0, 0)]
    for name, x, y, yaw, n in stacks:
        _pallet_stack(stage, looks, phys, name, x, y, yaw, n)
    # Cartons on shelf boards (level 0 of row 0, level 1 of row 2).
    placements = [(0, 0, 0, -1.5), (0, 0, 1, 0.8), (2, 1, 2, 0.0), (1, 0, 1, -2.0)]
    for i, (row, lvl, seg, dx) in enumerate(placements):
        board = {(lv, sg): b for lv, sg, b in shelf_boards(ROW_Y[row])}[(lvl, seg)]
        sr.box(stage, f"/World/Goods/ShelfCarton_{i}",
               sr.on_top(board.top, board.center[0] + dx, ROW_Y[row], CARTON),
               labels=["box"], look=looks["Cardboard"], phys=phys["Cardboard"], mass=7.0)
    sr.cylinder(stage, "/World/Goods/Drum_0", (-17.0, 6.5, 0.45), 0.3, 0.9, labels=["drum"],
                look=looks["HazardRed"], phys=phys["Steel"], mass=180.0)


def _forklift(stage, looks, phys):
    """Forklift-sized cart: chassis on four wheels plus a mast; one rigid body."""
    body = "/World/Vehicles/Forklift"
    sr.group(stage, "/World/Vehicles")
    sr.rigid_body(stage, body, (0.0, 8.5, 0.0), mass=2600.0, labels=["forklift"], yaw_deg=0.0)
    r, w = 0.25, 0.2  # wheel radius and width
    chassis = sr.on_top(2 * r, 0.0, 0.0, (2.2, 1.1, 0.9))
    sr.box(stage, f"{body}/Chassis", chassis, labels=["forklift"], look=looks["ForkliftYellow"], phys=phys["Steel"])
    sr.box(stage, f"{body}/Mast", sr.on_top(chassis.top, 0.95, 0.0, (0.3, 1.0, 1.6)), labels=["forklift"],
           look=looks["SteelBlue"], phys=phys["Steel"])
    for i, (x, y) in enumerate([(-0.8, -0.35), (-0.8, 0.35), (0.8, -0.35), (0.8, 0.35)]):
        sr.cylinder(stage, f"{body}/Wheel_{i}", (x, y, r), r, w, axis="Y", labels=["forklift", "wheel"],
                    look=looks["Rubber"], phys=phys["Rubber"])


def _regions(stage):
    sr.group(stage, "/World/Regions")
    half_d = ROW_DEPTH / 2
    length = ROW_X1 - ROW_X0
    cx = (ROW_X0 + ROW_X1) / 2
    edges = [-HALF_Y, *[y for ry in ROW_Y for y in (ry - half_d, ry + half_d)], HALF_Y]
    # aisles: the free strips between consecutive shelving rows and along the outer rows
    for i in range(len(ROW_Y) + 1):
        y0, y1 = edges[2 * i], edges[2 * i + 1]
        if i == len(ROW_Y):
            y1 = min(y1, ROW_Y[-1] + half_d + 2.5)  # the north aisle ends where the forklift park begins
        sr.region(stage, f"/World/Regions/Aisle_{i}", "aisle", (cx, (y0 + y1) / 2, 1.5), (length, y1 - y0, 3.0))
    sr.region(stage, "/World/Regions/LoadingDockLane", "keepout", (HALF_X - 2.0, 0.0, 2.0), (4.0, 2 * HALF_Y, 4.0))


def _bollards(stage, looks, phys):
    sr.group(stage, "/World/Bollards")
    for i, y in enumerate((-12.0, -6.0, 0.0, 6.0, 12.0)):
        sr.cylinder(stage, f"/World/Bollards/Bollard_{i}", (HALF_X - 4.3, y, 0.6), 0.15, 1.2, capsule=True,
                    labels=["bollard"], look=looks["HazardRed"], phys=phys["Steel"])


def _lights(stage):
    sr.group(stage, "/World/Lights")
    for i, x in enumerate((-12.0, 0.0, 12.0)):
        sr.sphere_light(stage, f"/World/Lights/HighBay_{i}", (x, 0.0, 5.6), radius=0.25, intensity=30000.0,
                        exposure=1.0, color=(1.0, 0.95, 0.88))
    sr.rect_light(stage, "/World/Lights/DockPanel_0", (HALF_X - 2.0, -7.5, 5.8), width=3.0, height=1.0,
                  intensity=8000.0, exposure=0.5, color=(0.92, 0.96, 1.0))
    sr.rect_light(stage, "/World/Lights/DockPanel_1", (HALF_X - 2.0, 7.5, 5.8), width=3.0, height=1.0,
                  intensity=8000.0, exposure=0.5, color=(0.92, 0.96, 1.0))
    sr.dome_light(stage, "/World/Lights/Sky", intensity=600.0, exposure=0.0, color=(0.75, 0.82, 1.0))


def build(path: str | Path):
    stage, _ = sr.new_stage(path, "twinsplit sample: warehouse with shelving, pallets and a forklift")
    looks, phys = _materials(stage)
    _building(stage, looks, phys)
    _shelving(stage, looks, phys)
    _goods(stage, looks, phys)
    _forklift(stage, looks, phys)
    _bollards(stage, looks, phys)
    _regions(stage)
    _lights(stage)
    sr.save(stage, path)
    return stage


if __name__ == "__main__":
    build(HERE / f"{NAME}.usda")
    print(f"wrote {HERE / f'{NAME}.usda'}")
