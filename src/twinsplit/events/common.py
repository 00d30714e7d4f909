"""Shared pieces of the event kinds: base config fields, time windows, regions as lanes, and USD edit helpers.

Everything here is a pure function of (SceneInfo, config block) except `collision_index`, which uses the scene's
collision shapes (scene/shapes.py, read once per scene; main process only: `sample` needs them, `edits` never does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from ..base import Strict
from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.distributions import Dist, resolve
from ..blocks.quantize import quantize
from ..errors import TwinsplitError
from ..geometry import OverlapIndex
from ..geometry.support import overlap_tolerance
from ..scene.info import Region, SceneInfo
from ..scene.shapes import scene_shapes

EVENTS_SCOPE = "TwinsplitEvents"
KIND_ATTR = "twinsplit:event:kind"
SOURCE_ATTR = "twinsplit:event:source"
DEFAULT_WINDOW_S = (0.0, 10.0)  # used only when the stage has no authored time range and no window is given
FRAME = 1.0  # "just before" a switch of a held (token/bool) value: one time code earlier; the step is exact
JUMP = 1e-3  # translate interpolates linearly: a jump is two samples this many time codes apart


class EventCfg(Strict):
    """Fields every event kind shares."""

    window: tuple[float, float] | None = Field(
        None, description="[start_s, end_s]: the seconds in which this event may happen; must lie inside the stage's "
                          "time range when it has one. Default: the stage's own range (0-10 s if it has none).")
    count: int = Field(1, ge=1, le=64, description="How many independent instances of this event each variant gets "
                                                   "(fixed, so every variant has the same columns). Default: 1.")
    start: Dist | None = Field(None, description="When the event starts, in seconds (stage time). Default: uniform "
                                                 "over the first half of the window.")
    holdout_only: bool = Field(False, description="true: only holdout variants get this block (an event kind training "
                                                  "never sees). Default: false.")

    @field_validator("window")
    @classmethod
    def _window(cls, v):
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"window start ({v[0]}) must be before its end ({v[1]})")
        return v


# ---------------------------------------------------------------------------------------------- time


def stage_range_s(scene: SceneInfo) -> tuple[float, float] | None:
    """The stage's authored time range in seconds; None when it has none or an empty one (start == end: a still
    stage, as many exporters write it)."""
    if scene.start_time is None or scene.end_time is None or not scene.end_time > scene.start_time:
        return None
    tcps = scene.time_codes_per_second
    return scene.start_time / tcps, scene.end_time / tcps


def window(scene: SceneInfo, cfg: EventCfg, source: str) -> tuple[float, float]:
    """The block's window in seconds; a window outside the stage's authored range is an error naming both."""
    stage = stage_range_s(scene)
    if cfg.window is None:
        return stage or DEFAULT_WINDOW_S
    w0, w1 = float(cfg.window[0]), float(cfg.window[1])
    if stage is not None and (w0 < stage[0] - 1e-9 or w1 > stage[1] + 1e-9):
        raise TwinsplitError(
            f"{source}.window [{w0:g}, {w1:g}] s lies outside the stage time range [{stage[0]:g}, {stage[1]:g}] s of "
            f"{Path(scene.root).name} (time codes {scene.start_time:g}-{scene.end_time:g} at "
            f"{scene.time_codes_per_second:g} per second)")
    return w0, w1


def time_metadata(scene: SceneInfo, cfg: EventCfg) -> dict[str, Any]:
    """startTimeCode/endTimeCode covering the window (the stage's own when authored) and the stage's own
    timeCodesPerSecond: writing a different rate would rescale the sublayered source's time samples."""
    w0, w1 = window(scene, cfg, "events")
    tcps = scene.time_codes_per_second
    return {"startTimeCode": float(w0 * tcps), "endTimeCode": float(w1 * tcps), "timeCodesPerSecond": float(tcps)}


def tc(scene: SceneInfo, seconds: float) -> float:
    return float(seconds * scene.time_codes_per_second)


def start_dist(cfg: EventCfg, w: tuple[float, float], source: str) -> Dist:
    """The start-time distribution: the configured one (checked against the window) or the window's first half."""
    if cfg.start is None:
        return Dist(low=w[0], high=w[0] + 0.5 * (w[1] - w[0]))
    for split in ("train", "holdout"):
        r = resolve(cfg.start, split)
        if cfg.start.distribution == "choice":
            lo, hi = min(float(c) for c in r.choices), max(float(c) for c in r.choices)
        else:
            lo, hi = r.low, r.high
        if lo < w[0] - 1e-9 or hi > w[1] + 1e-9:
            raise TwinsplitError(f"{source}.start: the {split} range [{lo:g}, {hi:g}] s lies outside the window "
                                 f"[{w[0]:g}, {w[1]:g}] s")
    return cfg.start


# ---------------------------------------------------------------------------------------------- regions


def first_kind(scene: SceneInfo, kinds: tuple[str, ...]) -> str | None:
    present = {r.kind for r in scene.regions.values()}
    return next((k for k in kinds if k in present), None)


@dataclass(frozen=True)
class Lane:
    """A region seen as a walkable lane: its longest horizontal axis, its width and its ground."""

    region: Region
    center: np.ndarray   # on the ground, world
    axis: np.ndarray     # unit, horizontal: the longest horizontal box axis
    lateral: np.ndarray  # unit, horizontal, across the lane
    up: np.ndarray       # unit world up
    half_length: float
    half_width: float
    ground: float
    top: float           # the box's top along up


def lane(scene: SceneInfo, region: Region) -> Lane:
    up_i = scene.up_index
    rot = np.asarray(region.rotation, dtype=float)
    he = np.asarray(region.half_extents, dtype=float)
    up_local = int(np.argmax(np.abs(rot[up_i, :])))
    axis_local, lat_local = sorted((k for k in range(3) if k != up_local), key=lambda k: (-he[k], k))

    def horizontal(v: np.ndarray) -> np.ndarray:
        v = v.copy()
        v[up_i] = 0.0
        return v / (np.linalg.norm(v) or 1.0)

    lo, hi = region.aabb()
    floor = scene.floor_height
    ground = float(floor) if floor is not None and lo[up_i] - 1e-6 <= floor <= hi[up_i] else float(lo[up_i])
    up = np.zeros(3)
    up[up_i] = 1.0
    center = np.asarray(region.center, dtype=float).copy()
    center[up_i] = ground
    return Lane(region, center, horizontal(rot[:, axis_local]), horizontal(rot[:, lat_local]), up,
                float(he[axis_local]), float(he[lat_local]), ground, float(hi[up_i]))


def region_choice(regions: list[Region]) -> Dist | None:
    """A choice column over several matched regions (None when there is only one: nothing to draw)."""
    if len(regions) < 2:
        return None
    return Dist(distribution="choice", choices=[r.path for r in regions])


# ---------------------------------------------------------------------------------------------- params


def events_root(scene: SceneInfo) -> str:
    return f"{scene.default_prim}/{EVENTS_SCOPE}" if scene.default_prim else f"/{EVENTS_SCOPE}"


def block_index(source: str) -> int:
    m = re.search(r"\[(\d+)\]$", source)
    return int(m.group(1)) if m else 0


def instance_name(prefix: str, source: str, k: int) -> str:
    b = block_index(source)
    return f"{prefix}_{k}" if b == 0 else f"{prefix}_{b}_{k}"


def pseudo(prim: str, key: str, source: str, dist: Dist, type_name: str = "double") -> ParamSpec:
    """A random column that is not one attribute (e.g. a start time): attr `event:<key>` on the event prim."""
    return ParamSpec(name=f"{prim}.event:{key}", prim=prim, attr=f"event:{key}", type_name=type_name,
                     source=source, key=key, dist=dist)


def by_prim(params: list[ParamSpec], draws: np.ndarray) -> dict[str, dict[str, tuple[ParamSpec, float]]]:
    """{event prim: {key: (param, draw)}}, in declaration order."""
    out: dict[str, dict[str, tuple[ParamSpec, float]]] = {}
    for p, d in zip(params, draws, strict=False):
        out.setdefault(p.prim, {})[p.key] = (p, float(d))
    return out


def choice_value(entry: tuple[ParamSpec, float] | None, default: Any = None) -> Any:
    if entry is None:
        return default
    p, d = entry
    return p.value(d)


# ---------------------------------------------------------------------------------------------- edits


def m(scene: SceneInfo, meters: float) -> float:
    """Metres -> stage units."""
    return float(meters) / scene.meters_per_unit


def v3(x: np.ndarray) -> tuple[float, float, float]:
    return (float(x[0]), float(x[1]), float(x[2]))


def quat(rotation: np.ndarray) -> tuple[float, float, float, float]:
    """(real, i, j, k) as float32 values of a proper rotation whose columns are the local axes in world space."""
    from scipy.spatial.transform import Rotation

    r = np.asarray(rotation, dtype=float)
    if np.linalg.det(r) < 0:
        r = r * np.array([1.0, 1.0, -1.0])
    x, y, z, w = Rotation.from_matrix(r).as_quat()
    if w < 0:
        x, y, z, w = -x, -y, -z, -w
    return tuple(quantize(float(c), "quatf") for c in (w, x, y, z))  # type: ignore[return-value]


# Event bodies (people, beds, barriers) get one physics material, so no collider falls back to simulator defaults.
EVENT_MATERIAL = {"physics:staticFriction": 0.6, "physics:dynamicFriction": 0.5, "physics:restitution": 0.0}


def material_path(scene: SceneInfo) -> str:
    return f"{events_root(scene)}/PhysicsMaterial"


def root_edits(scene: SceneInfo) -> list[Edit]:
    """The events scope (`def Xform`) and the event bodies' physics material. Every event block emits them; the
    plan writes identical edits once. Event prims reset the transform stack themselves (see xform_edits)."""
    mat = material_path(scene)
    return [Edit(path=events_root(scene), prim_def=PrimDef("Xform")),
            Edit(path=mat, prim_def=PrimDef("Material", ("PhysicsMaterialAPI",)))] + [
        Edit(path=mat, attr=name, type_name="float", value=quantize(v, "float")) for name, v in EVENT_MATERIAL.items()]


def tag_edits(prim: str, kind: str, source: str) -> list[Edit]:
    """Which event kind and config block made this prim (read back by verify's holdout-only check)."""
    return [Edit(path=prim, attr=KIND_ATTR, type_name="string", value=kind, custom=True, variability_uniform=True),
            Edit(path=prim, attr=SOURCE_ATTR, type_name="string", value=source, custom=True, variability_uniform=True)]


def xform_edits(prim: str, translate=None, translate_samples=None, orient=None, scale=None) -> list[Edit]:
    """World-space xform ops: `!resetXformStack!` first, so whatever transform the default prim (the events
    scope's parent) carries, the values written here are world coordinates in stage units."""
    order, out = ["!resetXformStack!"], []
    if translate is not None or translate_samples is not None:
        order.append("xformOp:translate")
        out.append(Edit(path=prim, attr="xformOp:translate", type_name="double3",
                        value=None if translate is None else v3(translate),
                        time_samples=None if translate_samples is None else
                        tuple((float(t), v3(p)) for t, p in translate_samples)))
    if orient is not None:
        order.append("xformOp:orient")
        out.append(Edit(path=prim, attr="xformOp:orient", type_name="quatf", value=orient))
    if scale is not None:
        order.append("xformOp:scale")
        out.append(Edit(path=prim, attr="xformOp:scale", type_name="double3", value=v3(scale)))
    out.append(Edit(path=prim, attr="xformOpOrder", type_name="token[]", value=tuple(order), variability_uniform=True))
    return out


def body_schemas(label: bool = True) -> tuple[str, ...]:
    return (("PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "MaterialBindingAPI")
            + (("SemanticsLabelsAPI:class",) if label else ()))


def body_edits(scene: SceneInfo, prim: str, label: str) -> list[Edit]:
    """A kinematic body with a semantic class label, bound to the events' physics material (physics purpose)."""
    return [Edit(path=prim, attr="physics:kinematicEnabled", type_name="bool", value=True),
            Edit(path=prim, attr="semantics:labels:class", type_name="token[]", value=(label,)),
            Edit(path=prim, attr="material:binding:physics", type_name="rel", value=(material_path(scene),))]


def capsule_edits(scene: SceneInfo, prim: str, height_m: float, radius_m: float, axis: str) -> list[Edit]:
    """Capsule geometry: `height_m` is the total height including the caps, as people are measured."""
    r = m(scene, radius_m)
    h = max(m(scene, height_m) - 2 * r, 0.0)
    half = [r, r, r]
    half["XYZ".index(axis)] = h / 2 + r
    ext = ((-half[0], -half[1], -half[2]), (half[0], half[1], half[2]))
    return [Edit(path=prim, attr="axis", type_name="token", value=axis, variability_uniform=True),
            Edit(path=prim, attr="height", type_name="double", value=h),
            Edit(path=prim, attr="radius", type_name="double", value=r),
            Edit(path=prim, attr="extent", type_name="float3[]",
                 value=tuple(tuple(quantize(c, "float") for c in row) for row in ext))]


def cube_edits(prim: str) -> list[Edit]:
    """A unit cube (size 1) shaped by xformOp:scale."""
    return [Edit(path=prim, attr="size", type_name="double", value=1.0),
            Edit(path=prim, attr="extent", type_name="float3[]", value=((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5)))]


def switch_edits(prim: str, on: float, off: float | None, track=None, parked: np.ndarray | None = None) -> list[Edit]:
    """Switch a kinematic body on at time code `on` (and off at `off`): visibility, physics:collisionEnabled and,
    when `parked` is given (see `park`), xformOp:translate jumping from the parked pose to `track` (one placed
    position, or the (time code, position) samples of a walk starting at `on`) and back to parked at `off`.
    Held (token/bool) samples step exactly; translate gets a second sample JUMP time codes before each jump."""
    vis = [(on - FRAME, "invisible"), (on, "inherited")]
    col = [(on - FRAME, False), (on, True)]
    if off is not None:
        vis.append((off, "invisible"))
        col.append((off, False))
    out = [Edit(path=prim, attr="visibility", type_name="token", time_samples=tuple(vis)),
           Edit(path=prim, attr="physics:collisionEnabled", type_name="bool", time_samples=tuple(col))]
    if parked is not None and track is not None:
        track = [(on, track)] if isinstance(track, np.ndarray) else list(track)
        moves = [(on - JUMP, parked)] + [s for s in track if off is None or s[0] < off - JUMP]
        if off is not None:
            if off - JUMP > moves[-1][0]:
                moves.append((off - JUMP, moves[-1][1]))  # held in place until the jump back
            moves.append((off, parked))
        out += xform_edits(prim, translate_samples=moves)[:1]
    return out


PARK_BELOW_M = 1.0  # an inactive body's top waits this far below the lowest point of the stage's bounds


def lowest_point(scene: SceneInfo) -> float | None:
    """Along up, the lowest point of the stage's bounds, else its floor; None when it has neither."""
    if scene.bounds is not None:
        return float(scene.bounds[0][scene.up_index])
    return scene.floor_height


def park(scene: SceneInfo, placed: np.ndarray, up_extent: float) -> np.ndarray:
    """The one parking convention of every event kind: while inactive (and at the default time, which engines
    that play no samples read) a body waits straight below `placed`, its top PARK_BELOW_M under the lowest point
    of the stage's bounds (or of the floor, or of the body, when the stage has no bounds), so it touches nothing
    the stage holds, even on a site with a level below the body's own floor. `up_extent`: its size along up."""
    up = scene.up_index
    bottom = float(placed[up]) - up_extent / 2
    stage_low = lowest_point(scene)
    lowest = bottom if stage_low is None else min(bottom, stage_low)
    out = np.asarray(placed, dtype=float).copy()
    out[up] = lowest - m(scene, PARK_BELOW_M) - up_extent / 2
    return out


def barrier_edits(scene: SceneInfo, prim: str, center: np.ndarray, rotation: np.ndarray, size: np.ndarray,
                  on: float) -> list[Edit]:
    """A kinematic box (label `barrier`) filling an oriented box (centre, rotation, full size; stage units),
    parked (see `park`) until time code `on`, then switched on for good."""
    parked = park(scene, center, float(np.abs(rotation[scene.up_index, :]) @ size))
    out = [Edit(path=prim, prim_def=PrimDef("Cube", body_schemas()))]
    out += cube_edits(prim) + body_edits(scene, prim, "barrier")
    # translate is time-sampled by switch_edits; keep orient/scale/order
    out += [e for e in xform_edits(prim, translate=center, orient=quat(rotation), scale=size)
            if e.attr != "xformOp:translate"]
    return out + switch_edits(prim, on, None, center, parked)


def clamp_samples(edits: list[Edit], floor: float) -> list[Edit]:
    """Keep every time sample at or after `floor` (the window's first time code): a "just before" sample of an
    event starting at the window's start would otherwise fall before the stage's startTimeCode. The value
    held before the first kept sample is preserved by re-timing the last dropped one to `floor`."""
    out = []
    for e in edits:
        if e.time_samples and e.time_samples[0][0] < floor:
            before = [s for s in e.time_samples if s[0] < floor]
            after = [s for s in e.time_samples if s[0] >= floor]
            if not after or after[0][0] > floor:
                after.insert(0, (floor, before[-1][1]))
            e = replace(e, time_samples=tuple(after))
        out.append(e)
    return out


def with_defaults(edits: list[Edit]) -> list[Edit]:
    """Every time-sampled attribute an event authors also gets a default value: its state before the event (the
    first sample: parked, invisible, not collidable; a flashing stage light's own intensity; a zone still open).
    An engine that reads the default time and plays no samples (Newton's importer, a referencing Isaac Lab
    spawner) then finds every event body out of the way instead of at the stage origin."""
    return [replace(e, value=e.time_samples[0][1]) if e.time_samples and e.value is None else e for e in edits]


def within_window(edits_fn):
    """Wrap an event kind's `edits` so none of its time samples precede its window."""

    def edits(scene: SceneInfo, cfg: EventCfg, params: list[ParamSpec], draws: np.ndarray, **seen) -> list[Edit]:
        out = with_defaults(edits_fn(scene, cfg, params, draws, **seen))  # before clamping: the state before the event
        return clamp_samples(out, tc(scene, window(scene, cfg, "events")[0]))

    edits.__doc__ = edits_fn.__doc__
    return edits


def event_meta(scene: SceneInfo, kind: str, source: str, prim: str, start_s: float, end_s: float,
               parameters: dict[str, Any]) -> dict[str, Any]:
    """The manifest entry of one event: times in seconds and time codes, the drawn parameters."""
    return {"event": {"kind": kind, "source": source, "prim": prim,
                      "start": float(start_s), "end": float(end_s),
                      "start_time_code": tc(scene, start_s), "end_time_code": tc(scene, end_s),
                      "parameters": parameters}}


# ---------------------------------------------------------------------------------------------- collisions

_INDEX: dict[int, tuple[SceneInfo, Any]] = {}


def collision_index(scene: SceneInfo):
    """An OverlapIndex over the source's collision shapes: the scene's one shape cache (scene_shapes), at the pose
    time, with the overlap tolerance layout and verify use. Kept per process, not on the scene, so workers are not
    sent it (only `sample` needs it)."""
    hit = _INDEX.get(id(scene))
    if hit is not None and hit[0] is scene:
        return hit[1]
    index = OverlapIndex(scene_shapes(scene), tolerance=overlap_tolerance(scene.meters_per_unit))
    if len(_INDEX) > 8:
        _INDEX.clear()
    _INDEX[id(scene)] = (scene, index)
    return index
