"""Draw a top-down plan of each sample stage: static colliders, rigid bodies, regions and lights.

    python sample_scenes/plot_plans.py            # writes sample_scenes/<name>/plan.png

Reads the checked-in `.usda` files with pxr, so the picture shows what the stage really contains.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402
from pxr import Usd, UsdGeom, UsdLux, UsdPhysics  # noqa: E402

HERE = Path(__file__).resolve().parent
REGION_COLORS = {
    "corridor": "tab:blue", "room": "tab:green", "doorway": "tab:red", "aisle": "tab:cyan", "bay": "tab:olive",
    "infection_control": "tab:purple", "restricted": "tab:orange", "keepout": "black", "route": "tab:pink",
}


def _footprint(prim: Usd.Prim, cache: UsdGeom.XformCache) -> np.ndarray:
    """World xy of the bottom face of the prim's local extent box."""
    lo, hi = (np.array(v) for v in UsdGeom.Boundable(prim).GetExtentAttr().Get())
    pts = np.array([[lo[0], lo[1], lo[2], 1], [hi[0], lo[1], lo[2], 1], [hi[0], hi[1], lo[2], 1],
                    [lo[0], hi[1], lo[2], 1]])
    return (pts @ np.array(cache.GetLocalToWorldTransform(prim)))[:, :2]


def _is_dynamic(prim: Usd.Prim) -> bool:
    while prim and not prim.IsPseudoRoot():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            return True
        prim = prim.GetParent()
    return False


def plot(usda: Path, out: Path) -> Path:
    stage = Usd.Stage.Open(str(usda))
    cache = UsdGeom.XformCache(Usd.TimeCode(0))
    fig, ax = plt.subplots(figsize=(12, 8))
    seen: set[str] = set()
    for prim in stage.Traverse():
        if prim.HasAPI(UsdPhysics.CollisionAPI):
            dyn = _is_dynamic(prim)
            name = "rigid body" if dyn else "static collider"
            ax.add_patch(Polygon(_footprint(prim, cache), closed=True, fc="tab:orange" if dyn else "0.6",
                                 ec="k", lw=0.3, alpha=0.9, label=None if name in seen else name))
            seen.add(name)
        elif prim.HasAttribute("twinsplit:region"):
            kind = prim.GetAttribute("twinsplit:region").Get()
            ax.add_patch(Polygon(_footprint(prim, cache), closed=True, fill=False, ls="--", lw=1.4,
                                 ec=REGION_COLORS.get(kind, "m"), label=None if kind in seen else f"region: {kind}"))
            seen.add(kind)
        elif prim.HasAPI(UsdLux.LightAPI) and not prim.IsA(UsdLux.DomeLight):
            x, y = np.array(cache.GetLocalToWorldTransform(prim))[3, :2]
            kind = prim.GetTypeName()
            ax.plot(x, y, "*" if kind == "SphereLight" else "s", ms=6, color="gold", mec="k", mew=0.4,
                    label=None if kind in seen else kind)
            seen.add(kind)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_title(f"{usda.stem}: plan view at t = 0")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


if __name__ == "__main__":
    names = sys.argv[1:] or sorted(p.parent.name for p in HERE.glob("*/build.py"))
    for name in names:
        print(plot(HERE / name / f"{name}.usda", HERE / name / "plan.png"))
