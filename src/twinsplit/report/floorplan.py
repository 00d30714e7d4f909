"""The report's floor plan: a top-down view of the stage with every split's variants overlaid.

Drawn from the source (its collision shapes at the pose time and its regions, `scene/`) and from the re-derived
plan: each variant's layout moves, evaluated exactly as verify's layout check evaluates a layer
(`verify.authored_poses.PoseTable`: the authored xform values -> world deltas, no stage composed), the bodies it
deactivates, and its events' paths (a person's entry and walk, an obstruction's or a barrier's place) from
the event entries the manifest records.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import plots as rp

MAX_VARIANTS = 20  # per split: positions of more variants only thicken the cloud
STATIC = "#b0a48a"  # static geometry; a colour nothing else on the page uses (the browser test looks for it)
KEEP_OUT = "#444444"
REGION_COLORS = ["#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"]


@dataclass
class SplitOverlay:
    variants: int  # drawn
    positions: np.ndarray  # (m, 2) body centres, all drawn variants
    removed: np.ndarray  # (r, 2) source centres of removed bodies (once per removal)
    paths: list[np.ndarray] = field(default_factory=list)  # (k, 2): a person's corners, else start/end
    points: list[np.ndarray] = field(default_factory=list)  # (2,) places of static events


@dataclass
class Floor:
    plane: tuple[int, int]
    ground: list[np.ndarray]  # the largest static footprints (floors)
    statics: list[np.ndarray]  # footprint polygons
    bodies: list[np.ndarray]  # movable bodies' source footprints
    regions: list[tuple[str, str, np.ndarray]]  # (kind, path, polygon)
    keep_out: list[np.ndarray]
    splits: dict[str, SplitOverlay | None]  # None: sealed


def _footprint(points: np.ndarray, plane: tuple[int, int]) -> np.ndarray:
    """The convex hull of the points projected onto the floor plane."""
    from scipy.spatial import ConvexHull, QhullError

    p = np.asarray(points)[:, list(plane)]
    try:
        return p[ConvexHull(p).vertices]
    except (QhullError, ValueError):
        lo, hi = p.min(axis=0), p.max(axis=0) + 1e-9
        return np.array([lo, [hi[0], lo[1]], hi, [lo[0], hi[1]]])


_SIGNS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=float)


def _shape_points(s) -> np.ndarray:
    if s.vertices is not None:
        return s.vertices
    if s.kind == "box":
        return s.center + (_SIGNS * s.half_extents) @ np.asarray(s.rotation).T
    lo, hi = s.aabb()
    return lo + (hi - lo) * (_SIGNS + 1) / 2


def floor(plan, manifest: dict) -> Floor:
    from ..scene.shapes import scene_shapes
    from ..scene.xforms import scene_xforms
    from ..verify.authored_poses import PoseTable, parent_path
    from ..verify.variant_poses import shapes_under
    from ..write.layer import Authored

    scene = plan.scene
    plane = tuple(i for i in range(3) if i != scene.up_index)
    shapes = scene_shapes(scene)
    statics = [_footprint(_shape_points(s), plane) for s in shapes if not s.dynamic]
    area = [float(np.ptp(f[:, 0]) * np.ptp(f[:, 1])) for f in statics]
    order = np.argsort(area, kind="stable")[::-1]  # large ones beneath
    ground = [statics[k] for k in order if area[k] > 0.4 * max(area)]  # the floor: drawn pale, not hiding the rest
    statics = [statics[k] for k in order if area[k] <= 0.4 * max(area)]
    by_body: dict[str, list[int]] = {}
    for k, s in enumerate(shapes):
        if s.dynamic:
            by_body.setdefault(s.body, []).append(k)
    names = sorted(by_body)
    centre = np.array([np.mean([shapes[k].center for k in by_body[b]], axis=0) for b in names]).reshape(-1, 3)
    bodies = [_footprint(np.vstack([_shape_points(shapes[k]) for k in by_body[b]]), plane) for b in names]
    regions = []
    for path, r in scene.regions.items():
        corners = np.asarray(r.center) + (_SIGNS * np.asarray(r.half_extents)) @ np.asarray(r.rotation).T
        regions.append((r.kind, path, _footprint(corners, plane)))
    keep_paths = set()
    for i, block in enumerate(getattr(plan.config.randomize, "layout", None) or []):
        for split in ("train", "holdout"):
            keep_paths |= {r.path for r in scene.find_regions(block.keep_out_for(split), f"randomize.layout[{i}]")}
    keep_out = [poly for _, path, poly in regions if path in keep_paths]
    poses = PoseTable(shapes_under(shapes), lambda paths: scene_xforms(scene, paths))
    index = {b: j for j, b in enumerate(names)}

    def owner(prim: str, table: dict) -> str | None:
        while prim and prim not in table:
            prim = parent_path(prim)
        return prim or None

    events = {v["id"]: v.get("events", []) for v in manifest["variants"]}
    splits: dict[str, SplitOverlay | None] = {"train": None, "holdout": None}
    for split, sp in plan.splits.items():
        if plan.scene_of(split) is not scene:
            continue  # drawn on a holdout source: its poses are not the source's, so not drawn on its plan
        n = min(MAX_VARIANTS, len(sp.draws))
        pos, gone, paths, points = [], [], [], []
        for i in range(n):
            deltas, removed, _ = poses.deltas(Authored(plan.batch(split, i)))
            out = {b for b in names if owner(b, dict.fromkeys(removed)) is not None}
            for b in names:
                if b in out:
                    gone.append(centre[index[b], list(plane)])
                    continue
                key = owner(b, deltas)
                c = centre[index[b]] if key is None else np.append(centre[index[b]], 1.0) @ deltas[key][:, :3]
                pos.append(np.asarray(c)[list(plane)])
            for e in events.get(f"{split}-{i:05d}", []):
                _event_marks(e.get("parameters", {}), float(e.get("end", 0)) - float(e.get("start", 0)), plane,
                             paths, points)
        splits[split] = SplitOverlay(n, np.array(pos).reshape(-1, 2), np.array(gone).reshape(-1, 2), paths, points)
    return Floor(plane, ground, statics, bodies, regions, keep_out, splits)


def _event_marks(params: dict, duration: float, plane, paths: list, points: list) -> None:
    """A walking event (entry, heading, speed) as a segment; any other recorded place (`at`, `*_at`) as a point."""
    def vec(v) -> np.ndarray | None:
        return np.asarray(v, dtype=float) if isinstance(v, list) and len(v) == 3 else None

    entry, heading = vec(params.get("entry")), vec(params.get("heading"))
    corners = [c for c in (vec(w) for w in params.get("waypoints") or []) if c is not None]
    if len(corners) >= 2:  # a person's planned path, corner by corner (reactions included)
        paths.append(np.array([c[list(plane)] for c in corners]))
    elif entry is not None:
        end = vec(params.get("exit"))
        if end is None and heading is not None:
            end = entry + heading * float(params.get("speed_mps", 0.0)) * max(duration, 0.0)
        paths.append(np.array([entry[list(plane)], (entry if end is None else end)[list(plane)]]))
    for k, v in params.items():
        if (k == "at" or k.endswith("_at")) and (p := vec(v)) is not None:
            points.append(p[list(plane)])


def figure(f: Floor) -> bytes:
    from matplotlib.collections import LineCollection, PolyCollection

    axis_names = "xyz"
    with rp.rc_context(rp.RC):
        pts = np.vstack(f.ground + f.statics + f.bodies + [p for _, _, p in f.regions] or [np.zeros((1, 2))])
        span = np.ptp(pts, axis=0) + 1e-9
        fig = rp._figure(float(np.clip(rp.WIDTH_IN / 2 * span[1] / span[0] + 1.6, 3.0, 9.0)))
        axes = fig.subplots(1, 2, sharex=True, sharey=True)
        kinds = sorted({k for k, _, _ in f.regions})
        color = {k: REGION_COLORS[i % len(REGION_COLORS)] for i, k in enumerate(kinds)}
        for ax, split in zip(axes, ("train", "holdout"), strict=True):
            ax.add_collection(PolyCollection(f.ground, facecolors="#f4f1ea", edgecolors="#cfc8b8", linewidths=0.5))
            ax.add_collection(PolyCollection(f.statics, facecolors=STATIC, edgecolors="#8a7f66", linewidths=0.3,
                                             label="static geometry"))
            ax.add_collection(PolyCollection(f.bodies, facecolors="none", edgecolors="#555555", linewidths=0.4,
                                             label="movable bodies (source pose)"))
            if f.keep_out:
                ax.add_collection(PolyCollection(f.keep_out, facecolors="none", edgecolors=KEEP_OUT, hatch="///",
                                                 linewidths=0.8, label="layout keep-out"))
            for k in kinds:
                polys = [p for kind, _, p in f.regions if kind == k]
                ax.add_collection(PolyCollection(polys, facecolors="none", edgecolors=color[k], linestyles="--",
                                                 linewidths=1.1, label=f"region: {k}"))
            o = f.splits.get(split)
            if o is None:
                ax.set_title(f"{split}: sealed (no positions without its key)", loc="left")
            else:
                c = rp.COLORS[split]
                ax.scatter(o.positions[:, 0], o.positions[:, 1], s=3, color=c, alpha=0.35, lw=0,
                           label=f"body positions ({o.variants} variants)")
                if len(o.removed):
                    ax.scatter(o.removed[:, 0], o.removed[:, 1], s=18, marker="x", color="black", lw=0.8,
                               label=f"removed ({len(o.removed)})")
                if o.paths:
                    ax.add_collection(LineCollection(o.paths, colors=c, linewidths=1.0, alpha=0.6,
                                                     label=f"people's paths ({split})"))
                if o.points:
                    p = np.array(o.points)
                    ax.scatter(p[:, 0], p[:, 1], s=14, marker="s", color="#ff7f0e", alpha=0.7, label="event places")
                ax.set_title(f"{split}: first {o.variants} variants", loc="left")
            ax.autoscale_view()
            ax.set_aspect("equal", adjustable="box")
            ax.set_xlabel(f"{axis_names[f.plane[0]]} (stage units)")
        axes[0].set_ylabel(f"{axis_names[f.plane[1]]} (stage units)")
        handles, labels = [], []
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels and not lab.startswith("body positions"):
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(labels)), frameon=False)
        return rp._png(fig)
