"""verify: no person sample lies inside a collider at its time, nor closer to another person than their radii —
read from what the written variant layers author over their copied source, not from the plan that made them.

No variant stage is composed. Per set, the source's collision shapes are read once (`scene.shapes.scene_shapes`,
the layout check's reading: the pose time, cylinders inscribed) with the broad-phase index they keep; per variant,
its layer's authored xform values move them (`verify.variant_poses`, `active = false` removes them), its event
bodies and people come from the same values (`verify.event_bodies`), and each person's capsule at each of its time
samples is tested against the shapes near it (a query of that index, and of the moved and the switched-on ones).
What the check cannot evaluate is a finding: an xform layout never writes (`authored_poses`), a value on a source
collider that would change its shape or switch it (`COLLIDER_ATTRS`), a prim defined over a source collider or a
new collider outside the events scope, an event body's spec `event_bodies` refuses."""

from __future__ import annotations

import numpy as np

from ...errors import TwinsplitError
from ...events.common import events_root
from ...events.person import NAME as PERSON
from ...geometry.batch import ShapeSet, candidate_pairs, pair_depths
from ...geometry.support import overlap_tolerance
from ...scene.shapes import scene_shapes
from ...scene.xforms import scene_xforms
from ...write.readback import layer_values
from ..core import Check, Context, check
from ..event_bodies import BODY_TYPES, OTHER_COLLIDERS, Body, event_bodies
from ..variant_poses import SourceShapes

# What scene.colliders reads from a collider prim besides its transform: a layer authoring one of these on a source
# collider would change its shape or switch it, which this check does not re-read (generate never writes them).
COLLIDER_ATTRS = frozenset({"physics:collisionEnabled", "physics:approximation", "size", "radius", "height", "axis",
                            "points", "faceVertexCounts", "faceVertexIndices"})


class Site(SourceShapes):
    """Per set: the source's colliders, as arrays with their index, and where the events scope is."""

    def __init__(self, scene) -> None:
        super().__init__(scene_shapes(scene), lambda paths: scene_xforms(scene, paths))
        self.colliders = {s.path for s in self.set.shapes}
        self.tol = overlap_tolerance(scene.meters_per_unit)
        self.root = events_root(scene)
        self.plane = [i for i in range(3) if i != scene.up_index]


def source_findings(site: Site, authored) -> list[tuple[str, str]]:
    """(prim, message) for what the layer authors outside the events scope that could change the site's colliders
    other than by moving or removing them."""
    scope = site.root + "/"
    out = []
    for key, value in getattr(authored, "plain", authored).items():
        if key.startswith(scope) or key == site.root:
            continue
        prim, _, attr = key.partition(".")
        if attr in COLLIDER_ATTRS and prim in site.colliders:
            out.append((prim, f"authors {attr} on a collider of the source; this check reads its shape from the "
                              "source"))
        elif not attr and isinstance(value, dict) and "def" in value and (
                prim in site.under or value["def"] in BODY_TYPES + OTHER_COLLIDERS):
            out.append((prim, f"is defined as a {value['def'] or 'typeless prim'} outside the events scope; this "
                              "check reads the site's colliders from the source"))
    for c in getattr(authored, "columns", ()):
        for attr in sorted(COLLIDER_ATTRS.intersection(c.attrs)):
            out += [(p, f"authors {attr} on a collider of the source; this check reads its shape from the source")
                    for p in c.paths if p in site.colliders]
    return out


def _first_hits(n: int, iq: np.ndarray, rank: np.ndarray, depth: np.ndarray, tol: float, none: int) -> np.ndarray:
    """Per query row (n of them): the lowest rank among its pairs deeper than tol, else `none`."""
    out = np.full(n, none)
    hit = depth > tol
    np.minimum.at(out, iq[hit], rank[hit])
    return out


def variant_findings(site: Site, authored) -> tuple[int, list[tuple[str, str]]]:
    """(person samples checked, (prim, message) for each sample inside a collider or too near another person, and
    for each spec the check cannot evaluate) of one layer. A layer without people has nothing to check."""
    bodies, findings, kinds = event_bodies(authored, site.root)
    people = [b for b in bodies if b.kind == PERSON]
    if not any(k == PERSON for k in kinds.values()):
        return 0, []
    others = [b for b in bodies if b.kind != PERSON]
    rows: list[tuple[Body, float]] = [(p, float(t)) for p in people for t in p.times() if p.on(float(t))]
    findings += source_findings(site, authored)
    deltas, removed, why = site.deltas(authored)
    findings += [(f.prim, f.message) for f in why]
    if not rows:
        return 0, findings
    tol = site.tol
    q = ShapeSet.of([p.shape(t, dynamic=True) for p, t in rows])
    n_src = len(site.set)
    moved_idx, still_idx, moved = site.place(deltas, removed)
    still = np.zeros(n_src, dtype=bool)
    still[still_idx] = True
    # the source's colliders that stay put (their index, built once per set), then the moved ones (q's index)
    iq, ib = candidate_pairs(q, site.set, tol, still)
    ranks, query, depths = [ib], [iq], [pair_depths(q, iq, site.set, ib)]
    if moved is not None:
        im, iq = candidate_pairs(moved, q, tol)
        ranks.append(moved_idx[im])
        query.append(iq)
        depths.append(pair_depths(q, iq, moved, im))
    src_hit = _first_hits(len(rows), np.concatenate(query), np.concatenate(ranks), np.concatenate(depths), tol,
                          n_src)
    # event bodies switched on at a sample's time, where they are then
    times = sorted({t for _, t in rows})
    placed = [(k, j, o.shape(t)) for k, o in enumerate(others) for j, t in enumerate(times) if o.on(t)]
    ev_hit = np.full(len(rows), len(others))
    if placed:
        es = ShapeSet.of([s for *_, s in placed])
        at = {t: j for j, t in enumerate(times)}
        q_time = np.array([at[t] for _, t in rows])
        e_body, e_time = np.array([k for k, *_ in placed]), np.array([j for _, j, _ in placed])
        ie, iq = candidate_pairs(es, q, tol)
        same = e_time[ie] == q_time[iq]
        ie, iq = ie[same], iq[same]
        ev_hit = _first_hits(len(rows), iq, e_body[ie], pair_depths(q, iq, es, ie), tol, len(others))
    radius = {p.path: q.shapes[k].radius for k, (p, _) in enumerate(rows)}
    for k, (p, t) in enumerate(rows):
        if src_hit[k] < n_src:
            findings.append((p.path, f"at time code {t:g} lies inside {site.set.body[src_hit[k]]}"))
        elif ev_hit[k] < len(others):
            findings.append((p.path, f"at time code {t:g} lies inside {others[ev_hit[k]].path}"))
        centre = q.center[k]
        for o in people:
            if o is not p and o.on(t):
                d = float(np.linalg.norm((o.matrix(t)[3, :3] - centre)[site.plane]))
                r = radius.get(o.path) or o.shape(t).radius
                if d < radius[p.path] + r - tol:
                    findings.append((p.path, f"at time code {t:g} is {d:.3g} from {o.path}, closer than their radii"))
    return len(rows), findings


@check("people clear", needs=("plan",), uses=("authored",), order=92)
def people_clear(ctx: Context, c: Check) -> None:
    """Every person's time sample, read from the written layer over its source: the capsule is inside no collider
    (the source's, where this variant's layout put them, and every event body switched on at that time) and no
    closer to another person on the site than their two radii."""
    body = ctx.manifest.get("config", {}).get("body", {})
    if PERSON not in (body.get("events") or {}):
        c.skip("no person events")
        return
    sites: dict[int, Site] = {}
    samples = layers = 0
    for v in ctx.variants:
        if ctx.root_of(v["split"]) is None:
            continue  # a sealed holdout without --holdout
        path = ctx.path(v["path"], v["split"])
        if not path.is_file():
            continue  # reported by `files`
        authored = (ctx.authored or {}).get(v["id"])
        if authored is None:  # not re-derived: the layer read back here
            try:
                authored = layer_values(path)[0]
            except TwinsplitError as exc:
                c.fail(str(exc), file=v["path"])
                continue
        scene = ctx.plan.scene_of(v["split"])  # a holdout drawn on a holdout source: that stage
        if id(scene) not in sites:
            sites[id(scene)] = Site(scene)
        n, found = variant_findings(sites[id(scene)], authored)
        samples, layers = samples + n, layers + (n > 0)
        for prim, message in found:
            c.fail(f"{prim} {message}", file=v["path"], prim=prim)
    c.detail = f"{samples} person samples in {layers} layers clear of colliders and of each other"
