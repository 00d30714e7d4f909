"""patient_obstructs_path: a bed, a lying patient or a standing patient appears on a route for a while."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..blocks.attributes import sample_independent
from ..blocks.data import Edit, ParamSpec, PrimDef
from ..blocks.distributions import Dist, union_choices
from ..blocks.registry import BlockKind, LeakSignature
from ..scene.info import SceneInfo
from .common import (
    EventCfg,
    body_edits,
    body_schemas,
    by_prim,
    capsule_edits,
    choice_value,
    cube_edits,
    event_meta,
    events_root,
    first_kind,
    instance_name,
    lane,
    m,
    park,
    pseudo,
    quat,
    region_choice,
    root_edits,
    start_dist,
    switch_edits,
    tag_edits,
    tc,
    time_metadata,
    window,
    within_window,
    xform_edits,
)
from .obstacles import kind_obstacles

NAME = "patient_obstructs_path"
BED_M = (2.1, 1.0, 0.6)   # length (along the path), width, height in metres
LYING_M = (1.7, 0.22)      # capsule length and radius in metres


class PatientCfg(EventCfg):
    """A patient proxy (bed-sized box, lying or standing person capsule; kinematic, collider) appears on a route at
    a drawn time and position along it and stays for a drawn duration."""

    region: str | list[str] = Field("route", description="Region(s) obstructed: prim path, path glob or kind; several "
                                                         "matches are drawn among. Default: route.")
    kind: Dist = Field(default_factory=lambda: Dist(distribution="choice", choices=["bed", "lying", "standing"]),
                       description="choice of bed | lying | standing. Default: each equally.")
    position: Dist = Field(default_factory=lambda: Dist(low=0.15, high=0.85),
                           description="Where along the region's length, 0 = one end, 1 = the other. Default: uniform "
                                       "0.15-0.85.")
    duration: Dist = Field(default_factory=lambda: Dist(low=3.0, high=10.0),
                           description="How long it stays, in seconds (cut at the window's end). "
                                       "Default: uniform 3-10.")


def patient_params(scene: SceneInfo, cfg: PatientCfg, source: str) -> list[ParamSpec]:
    w = window(scene, cfg, source)
    regions = scene.find_regions(cfg.region, f"{source}.region")
    if cfg.kind.distribution != "choice" or not set(union_choices(cfg.kind)) <= {"bed", "lying", "standing"}:
        got = list(union_choices(cfg.kind)) if cfg.kind.distribution == 'choice' else cfg.kind.distribution
        raise ValueError("kind must be a choice among bed, lying, standing "
                         f"(got {got})")
    start = start_dist(cfg, w, source)
    out = []
    for k in range(cfg.count):
        prim = f"{events_root(scene)}/{instance_name('Patient', source, k)}"
        out += [pseudo(prim, "start", source, start), pseudo(prim, "duration", source, cfg.duration),
                pseudo(prim, "position", source, cfg.position), pseudo(prim, "kind", source, cfg.kind, "token")]
        if (choice := region_choice(regions)) is not None:
            out.append(pseudo(prim, "region", source, choice, "string"))
    return out


def patient_edits(scene: SceneInfo, cfg: PatientCfg, params: list[ParamSpec], draws: np.ndarray) -> list[Edit]:
    source = params[0].source
    w = window(scene, cfg, source)
    regions = scene.find_regions(cfg.region, f"{source}.region")
    out = root_edits(scene)
    for prim, cols in by_prim(params, draws).items():
        region = choice_value(cols.get("region"), regions[0].path)
        reg = next(r for r in regions if r.path == region)
        ln = lane(scene, reg)
        start, duration, position = cols["start"][1], cols["duration"][1], cols["position"][1]
        kind = choice_value(cols["kind"])
        end_s = min(start + duration, w[1])
        # Local frame: x along the path, y across, z up (columns are world directions).
        frame = np.stack([ln.axis, np.cross(ln.up, ln.axis), ln.up], axis=1)
        spot = ln.center + ln.axis * ((position - 0.5) * 2 * ln.half_length)
        lift = m(scene, 0.002)
        meta = event_meta(scene, NAME, source, prim, start, end_s, {
            "region": region, "kind": kind, "position": position, "duration_s": duration})
        if kind == "bed":
            size = np.array([m(scene, BED_M[0]), m(scene, BED_M[1]), m(scene, BED_M[2])])
            height = size[2]
            placed = spot + ln.up * (height / 2 + lift)
            out.append(Edit(path=prim, prim_def=PrimDef("Cube", body_schemas()), meta=meta))
            out += cube_edits(prim) + body_edits(scene, prim, "bed")
            shape = xform_edits(prim, translate=placed, orient=quat(frame), scale=size)
        else:
            length, radius = LYING_M if kind == "lying" else (1.7, 0.25)
            height = 2 * m(scene, radius) if kind == "lying" else m(scene, length)
            placed = spot + ln.up * (height / 2 + lift)
            out.append(Edit(path=prim, prim_def=PrimDef("Capsule", body_schemas()), meta=meta))
            out += capsule_edits(scene, prim, length, radius, "X" if kind == "lying" else "Z")
            out += body_edits(scene, prim, "person")
            shape = xform_edits(prim, translate=placed, orient=quat(frame))
        meta["event"]["parameters"]["at"] = [float(c) for c in placed]
        # translate is time-sampled by switch_edits (parked while inactive); keep orient/scale/order
        out += [e for e in shape if e.attr != "xformOp:translate"]
        parked = park(scene, placed, height)
        off = tc(scene, end_s) if end_s < w[1] else None
        out += switch_edits(prim, tc(scene, start), off, placed, parked)
        out += tag_edits(prim, NAME, source)
    return out


def patient_starter(scene: SceneInfo) -> str | None:
    kind = first_kind(scene, ("route", "corridor", "aisle"))
    if kind is None:
        return None
    return "\n".join([
        f"  # a bed or patient blocks the {kind} for a while",
        "  patient_obstructs_path:",
        f"    region: {kind}",
        "    kind: {distribution: choice, choices: [bed, lying]}",
        "    duration: {low: 3, high: 10}         # seconds",
    ])


_EDITS = within_window(patient_edits)

KIND = BlockKind(
    name=NAME,
    config_model=PatientCfg,
    params=patient_params,
    selectors=lambda cfg: [],
    sample=sample_independent,
    edits=_EDITS,
    obstacles=kind_obstacles(_EDITS, lambda prim, p: f"a {p.get('kind')} blocks {p.get('region')}"),
    starter=patient_starter,
    metadata=time_metadata,
    doc=PatientCfg.__doc__ or "",
    leak=LeakSignature(prim_prefix="Patient"),
)
