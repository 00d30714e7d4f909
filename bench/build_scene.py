"""Build a large warehouse-like benchmark stage: N dynamic boxes on a floor between static shelving.

    python bench/build_scene.py --bodies 5000 --out bench/out/warehouse_5000.usda

Deterministic: the same N gives byte-identical output (sizes, yaws and materials come from a
`numpy.random.Generator` with a fixed seed). About 3 MB of usda at N = 5000.
Importable: `build(path, bodies)`.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sample_scenes"))  # shared SimReady helpers
import _simready as sr  # noqa: E402

SEED = 20_251_125
PITCH = 1.0  # grid spacing; a box's half-diagonal stays below PITCH / 2 so neighbours never touch
ROWS_PER_BLOCK = 10  # box rows between two shelving rows
SHELF_DEPTH, SHELF_GAP, SHELF_H = 1.0, 0.5, 2.4
WALL_T, WALL_H = 0.2, 6.0

MATERIALS = {  # name: (static friction, dynamic friction, restitution, density, color)
    "Cardboard": (0.5, 0.35, 0.1, 150.0, (0.65, 0.48, 0.3)),
    "Wood": (0.55, 0.4, 0.3, 500.0, (0.72, 0.56, 0.34)),
    "Plastic": (0.35, 0.25, 0.45, 950.0, (0.1, 0.35, 0.7)),
    "Steel": (0.6, 0.45, 0.2, 7850.0, (0.55, 0.57, 0.6)),
}


def layout(bodies: int) -> tuple[int, int, np.ndarray]:
    """(columns, rows, xy centers of the N grid cells), shelving strips every ROWS_PER_BLOCK rows."""
    cols = max(1, math.ceil(math.sqrt(bodies)))
    rows = math.ceil(bodies / cols)
    idx = np.arange(bodies)
    r, c = idx // cols, idx % cols
    strip = SHELF_DEPTH + 2 * SHELF_GAP
    x = (c - (cols - 1) / 2) * PITCH
    y = r * PITCH + (r // ROWS_PER_BLOCK) * strip
    y = y - (y.max() + y.min()) / 2 if bodies else y
    return cols, rows, np.column_stack([x, y])


def build(path: str | Path, bodies: int = 5000):
    """Write the benchmark stage with `bodies` rigid-body boxes to `path`; returns the stage."""
    if bodies < 1:
        raise ValueError("bodies must be >= 1")
    rng = np.random.default_rng(SEED)
    cols, rows, xy = layout(bodies)
    sizes = np.round(rng.uniform(0.25, 0.6, size=(bodies, 3)), 3)
    sizes[:, 2] = np.round(rng.uniform(0.2, 0.8, size=bodies), 3)
    yaws = np.round(rng.uniform(-25.0, 25.0, size=bodies), 2)
    mat_idx = rng.integers(0, len(MATERIALS), size=bodies)
    # half-diagonal of the widest footprint < PITCH / 2: no two boxes can touch whatever the yaw
    assert np.sqrt(0.6**2 + 0.6**2) / 2 < PITCH / 2

    stage, _ = sr.new_stage(path, f"twinsplit benchmark: warehouse with {bodies} rigid-body boxes")
    sr.group(stage, "/World/Looks", scope=True)
    sr.group(stage, "/World/PhysicsMaterials", scope=True)
    looks, phys = {}, {}
    for name, (sf, df, rest, dens, color) in MATERIALS.items():
        looks[name] = sr.preview_material(stage, f"/World/Looks/{name}", color, roughness=0.7)
        phys[name] = sr.physics_material(stage, f"/World/PhysicsMaterials/{name}", static_friction=sf,
                                         dynamic_friction=df, restitution=rest, density=dens)
    looks["Concrete"] = sr.preview_material(stage, "/World/Looks/Concrete", (0.55, 0.55, 0.52), roughness=0.9)
    phys["Concrete"] = sr.physics_material(stage, "/World/PhysicsMaterials/Concrete", static_friction=0.9,
                                           dynamic_friction=0.75, restitution=0.05, density=2400.0)

    # Building: the floor covers the grid plus a 2 m margin; walls stand on the floor's edge.
    half_x = xy[:, 0].max() + PITCH / 2 + 2.0
    half_y = xy[:, 1].max() + PITCH / 2 + 2.0
    sr.group(stage, "/World/Building")
    sr.box(stage, "/World/Building/Floor",
           sr.Box((0.0, 0.0, -0.05), (2 * (half_x + WALL_T), 2 * (half_y + WALL_T), 0.1)),
           labels=["floor"], look=looks["Concrete"], phys=phys["Concrete"])
    walls = {
        "Wall_North": sr.on_top(0.0, 0.0, half_y + WALL_T / 2, (2 * (half_x + WALL_T), WALL_T, WALL_H)),
        "Wall_South": sr.on_top(0.0, 0.0, -half_y - WALL_T / 2, (2 * (half_x + WALL_T), WALL_T, WALL_H)),
        "Wall_East": sr.on_top(0.0, half_x + WALL_T / 2, 0.0, (WALL_T, 2 * half_y, WALL_H)),
        "Wall_West": sr.on_top(0.0, -half_x - WALL_T / 2, 0.0, (WALL_T, 2 * half_y, WALL_H)),
    }
    for name, b in walls.items():
        sr.box(stage, f"/World/Building/{name}", b, labels=["wall"], look=looks["Concrete"], phys=phys["Concrete"])

    # Shelving rows in the strips between blocks of box rows.
    sr.group(stage, "/World/Shelving")
    ys = np.unique(xy[:, 1])
    for k in range(1, math.ceil(rows / ROWS_PER_BLOCK)):
        y = (ys[k * ROWS_PER_BLOCK - 1] + ys[k * ROWS_PER_BLOCK]) / 2
        sr.box(stage, f"/World/Shelving/Row_{k - 1}",
               sr.on_top(0.0, 0.0, float(y), (cols * PITCH, SHELF_DEPTH, SHELF_H)),
               labels=["shelf"], look=looks["Steel"], phys=phys["Steel"])

    # Boxes grouped by material; the group carries both bindings (inherited), which keeps the file small.
    sr.group(stage, "/World/Boxes")
    names = list(MATERIALS)
    for m in names:
        sr.bind(sr.group(stage, f"/World/Boxes/{m}"), looks[m], phys[m])
    for i in range(bodies):
        m = names[mat_idx[i]]
        size = tuple(float(s) for s in sizes[i])
        mass = round(MATERIALS[m][3] * 0.1 * float(np.prod(sizes[i])), 3)  # 10% fill: packed goods, not solid
        b = sr.on_top(0.0, float(xy[i, 0]), float(xy[i, 1]), size, float(yaws[i]))
        sr.box(stage, f"/World/Boxes/{m}/Box_{i:05d}", b, labels=["box"], mass=max(mass, 0.1))

    sr.group(stage, "/World/Lights")
    for j, (x, y) in enumerate(light_grid(half_x, half_y)):
        sr.sphere_light(stage, f"/World/Lights/HighBay_{j}", (x, y, WALL_H - 0.4), radius=0.25,
                        intensity=30000.0, exposure=1.0, color=(1.0, 0.95, 0.88))
    sr.rect_light(stage, "/World/Lights/Panel_0", (0.0, 0.0, WALL_H - 0.2), width=4.0, height=1.0,
                  intensity=8000.0, exposure=0.5)
    sr.dome_light(stage, "/World/Lights/Sky", intensity=600.0, color=(0.75, 0.82, 1.0))
    sr.group(stage, "/World/Regions")
    sr.region(stage, "/World/Regions/Floor", "aisle", (0.0, 0.0, 1.5), (2 * half_x, 2 * half_y, 3.0))
    sr.save(stage, path)
    return stage


def light_grid(half_x: float, half_y: float, spacing: float = 12.0) -> list[tuple[float, float]]:
    """Ceiling light positions: a regular grid, at most 8 x 8."""
    nx = min(8, max(1, int(2 * half_x // spacing)))
    ny = min(8, max(1, int(2 * half_y // spacing)))
    xs = np.linspace(-half_x, half_x, nx + 2)[1:-1]
    ys = np.linspace(-half_y, half_y, ny + 2)[1:-1]
    return [(round(float(x), 3), round(float(y), 3)) for y in ys for x in xs]


@click.command()
@click.option("--bodies", default=5000, show_default=True, type=click.IntRange(min=1), help="Rigid-body boxes.")
@click.option("--out", "out", default="bench/out/warehouse_5000.usda", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="Output .usda path.")
def main(bodies: int, out: Path) -> None:
    build(out, bodies)
    click.echo(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, {bodies} bodies)")


if __name__ == "__main__":
    main()
