"""What the event kinds put on the site for a while, read from their own edits (one definition of where a bed, a
blocker or a barrier is and when it is switched on), so people planned in the same variant walk around them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..blocks.data import Edit, ParamSpec
from ..blocks.variant import Obstacle
from ..scene.info import SceneInfo


def _rotation(q) -> np.ndarray:
    from scipy.spatial.transform import Rotation

    w, x, y, z = (float(c) for c in q)
    return Rotation.from_quat([x, y, z, w]).as_matrix()


def _switched(samples) -> tuple[float | None, float | None]:
    """(first time code collision turns on, the next time it turns off) from physics:collisionEnabled samples."""
    on = off = None
    for t, v in samples:
        if v and on is None:
            on = float(t)
        elif not v and on is not None and off is None:
            off = float(t)
    return on, off


def body_obstacles(scene: SceneInfo, edits: list[Edit], why: Callable[[str, dict], str]) -> list[Obstacle]:
    """An Obstacle per event body in `edits` (a prim with a Cube or Capsule definition and collision samples):
    its box while switched on. `why(prim, event parameters)` says what it is for the reactions it causes."""
    by: dict[str, dict] = {}
    meta: dict[str, dict] = {}
    for e in edits:
        if type(e) is not Edit:
            continue
        d = by.setdefault(e.path, {})
        if e.prim_def is not None:
            d["type"] = e.prim_def.type_name
            if "event" in e.meta:
                meta[e.path] = e.meta["event"]
        elif e.attr is not None:
            d[e.attr] = e.time_samples if e.time_samples else e.value
    out = []
    for prim, d in by.items():
        if d.get("type") not in ("Cube", "Capsule") or not d.get("physics:collisionEnabled"):
            continue
        on, off = _switched(d["physics:collisionEnabled"])
        if on is None:
            continue
        moves = d["xformOp:translate"]
        center = np.asarray(next((p for t, p in moves if t >= on), moves[-1][1]), dtype=float)
        rot = _rotation(d["xformOp:orient"]) if "xformOp:orient" in d else np.eye(3)
        if d["type"] == "Cube":
            size = np.asarray(d.get("xformOp:scale", (1.0, 1.0, 1.0)), dtype=float) * float(d.get("size", 1.0))
        else:
            lo, hi = (np.asarray(c, dtype=float) for c in d["extent"])
            size = hi - lo
        owner = next((p for p in meta if prim == p or prim.startswith(p + "/")), prim)
        event = meta.get(owner, {})
        tcps = scene.time_codes_per_second
        out.append(Obstacle(event.get("kind", ""), event.get("source", ""), prim, center, rot, size, on / tcps,
                            None if off is None else off / tcps, True, why(prim, event.get("parameters", {}))))
    return out


def kind_obstacles(edits_fn, why: Callable[[str, dict], str]):
    """A BlockKind.obstacles function from a kind's (windowed) edits."""

    def obstacles(scene: SceneInfo, cfg, params: list[ParamSpec], draws: np.ndarray) -> list[Obstacle]:
        return body_obstacles(scene, edits_fn(scene, cfg, params, draws), why)

    return obstacles
