"""`twinsplit report`: one self-contained HTML page (inline CSS, PNGs as data URIs) on a generated set.

What it shows is re-derived, not read from the manifest's claims: `verify` is run for the verdict and the
check table, and the plan (every variant's draws) is the one verify's `rederive` check re-derived from
seeds + config + the copied source (derived here with `make_plan` only when verify could not). Distances, histograms, the projection and the
events timeline come from that plan. Values files are not read: they hold the written USD values (after
scale/add/choice), not the draws the normalization ranges apply to.

Deterministic: the same OUT (and options) gives byte-identical HTML (no timestamps, no absolute paths,
PNGs without a Software/date chunk, fixed sizes and dpi).
"""  # noqa: E501

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import manifest as mf
from ..errors import TwinsplitError
from ..verify.core import Check, Status, run_checks
from ..write.outdir import beside, refuse_inside
from . import plots as rp
from .anchors_section import html as anchors_html
from .html_parts import e as _e
from .html_parts import img as _img
from .html_parts import num as _num
from .html_parts import table as _table
from .html_parts import td as _td

MAX_HIST = 24  # parameters shown as histograms (largest KS first when there are more)
MAX_TABLE = 200  # rows of the per-parameter distance table
MAX_TIMELINE_ROWS = 60  # variants per split in the events timeline
REPORT_SUFFIX = "-report.html"


@dataclass
class Derived:
    """What the report plots: the re-derived plan as arrays (None when it could not be re-derived)."""

    names: list[str]  # every parameter
    shared: np.ndarray  # mask of the columns both splits draw
    train: np.ndarray  # normalized, all columns (NaN where a split does not draw a block)
    holdout: np.ndarray | None  # None: sealed (no key revealed)
    regions: list[tuple[str, np.ndarray, np.ndarray]]  # (name, low, high) over all columns, normalized
    events: dict[str, list[list[dict[str, Any]]]]  # split -> per variant -> event entries
    distance: dict[str, Any] | None = None  # stats.distance_report on the shared columns
    reactions: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)  # split -> per variant


@dataclass
class Report:
    html: str
    ok: bool
    images: int
    notes: list[str] = field(default_factory=list)


def default_path(out: Path) -> Path:
    """`<OUT parent>/<OUT name>-report.html`: beside OUT, never inside it (an extra file fails verify)."""
    return beside(out, REPORT_SUFFIX)


def check_destination(out: Path, dest: Path) -> None:
    refuse_inside(out, dest, "the report", REPORT_SUFFIX)


# ------------------------------------------------------------------------------------------- derivation


def derive(out: Path, manifest: dict, reveal: Path | None, plan=None) -> Derived:
    """Figures' data from the re-derived plan: verify's own when it has one, else derived here."""
    from ..plan.draw import holdout_regions
    from ..verify.set_plan import derive_plan
    from ..write.pool import event_entries, reaction_entries

    if plan is None:
        plan = derive_plan(out, manifest, reveal)
    params = plan.params
    lo = np.array([p.normalize_range[0] for p in params], dtype=np.float64)
    span = np.array([p.normalize_range[1] - p.normalize_range[0] for p in params], dtype=np.float64)
    regions = []
    for r in holdout_regions(plan):
        low, high = np.zeros(len(params)), np.ones(len(params))
        for c, a, b in zip(r.columns, r.low, r.high, strict=False):  # a column named twice: the intersection
            low[c] = max(low[c], (a - lo[c]) / span[c])
            high[c] = min(high[c], (b - lo[c]) / span[c])
        regions.append((r.name, np.clip(low, 0, 1), np.clip(high, 0, 1)))
    events, reactions = {}, {}
    for s, sp in plan.splits.items():
        edits = [plan.edits(s, i) for i in range(len(sp.draws))]
        events[s], reactions[s] = [event_entries(e) for e in edits], [reaction_entries(e) for e in edits]
    d = Derived([p.name for p in params], plan.shared, plan.normalized("train", shared=False),
                plan.normalized("holdout", shared=False) if "holdout" in plan.splits else None, regions, events,
                reactions=reactions)
    if d.holdout is not None:
        from ..plan.stats import distance_report

        d.distance = distance_report(plan.normalized("train"), plan.normalized("holdout"), plan.shared_names())
    return d


# ----------------------------------------------------------------------------------------------- figures


def short_labels(names: list[str]) -> list[str]:
    """`/World/Materials/Steel.physics:staticFriction` -> `Steel.staticFriction`; the full name when that clashes."""
    def short(n: str) -> str:
        prim, _, attr = n.rpartition(".")
        if not prim:
            return n
        return f"{prim.rsplit('/', 1)[-1]}.{attr.rsplit(':', 1)[-1]}"

    labels = [short(n) for n in names]
    dup = {x for x in labels if labels.count(x) > 1}
    return [n if s in dup else s for n, s in zip(names, labels, strict=True)]


def _finite(col: np.ndarray) -> np.ndarray:
    return col[np.isfinite(col)]


def hist_figure(d: Derived) -> tuple[bytes, str]:
    ks = {}
    if d.distance is not None:
        ks = {p["name"]: p for p in d.distance["parameters"]}
    labels = short_labels(d.names)
    order = list(range(len(d.names)))
    caption = f"{len(order)} parameters"
    if len(order) > MAX_HIST:
        key = lambda j: -(ks.get(d.names[j], {}).get("ks_statistic") or 0.0)  # noqa: E731
        order = sorted(order, key=key)[:MAX_HIST]  # stable: ties keep manifest order
        caption = (f"the {MAX_HIST} parameters with the largest KS statistic of {len(d.names)}; "
                   f"{len(d.names) - MAX_HIST} omitted (all are in the distance table)")
    panels = []
    for j in order:
        s = ks.get(d.names[j])
        if not d.shared[j]:
            stats = "holdout-only block"
        elif s is not None:
            stats = f"KS {_num(s['ks_statistic'], 3)} (p {_num(s['ks_pvalue'], 2)})  W {_num(s['wasserstein'], 3)}"
        else:
            stats = "holdout sealed" if d.holdout is None else ""
        panels.append(rp.HistPanel(labels[j], _finite(d.train[:, j]),
                                   None if d.holdout is None else _finite(d.holdout[:, j]), stats))
    return rp.histograms(panels), caption


def projection_figure(d: Derived) -> tuple[bytes, str]:
    train = d.train[:, d.shared]
    holdout = None if d.holdout is None else d.holdout[:, d.shared]
    pooled = train if holdout is None else np.vstack([train, holdout])
    mean, load, ratio = rp.pca(pooled)
    regions = [rp.Region2D(name, rp.box_projection(low[d.shared], high[d.shared], mean, load))
               for name, low, high in d.regions]
    note = "PCA of the normalized shared parameters" + (" (train only: holdout sealed)" if holdout is None else "")
    png = rp.projection((train - mean) @ load, None if holdout is None else (holdout - mean) @ load, regions, ratio,
                        note)
    if d.regions:
        caption = (f"shaded: the {len(d.regions)} holdout-only region(s) (box in normalized space, unconstrained "
                   f"parameters spanning [0, 1]) projected exactly onto the same two components; a train point drawn "
                   f"inside the shading is only in front of or behind the region (membership is checked in all "
                   f"dimensions by the disjointness check)")
    else:
        caption = "no holdout-only regions (splits.mode is not ood)"
    return png, caption


def nearest_figure(d: Derived, metric: str, margin: float) -> tuple[bytes, list[float]]:
    from ..plan.stats import nearest_train_distance

    dist = nearest_train_distance(d.train[:, d.shared], d.holdout[:, d.shared], metric)
    return rp.nearest(dist, margin, metric), [float(dist.min()), float(np.median(dist))] if len(dist) else []


def events_figure(d: Derived) -> tuple[bytes | None, str]:
    kinds = sorted({e.get("kind", "?") for per in d.events.values() for ev in per for e in ev})
    if not kinds:
        return None, "no events: the config declares no `events:` blocks"
    lanes, notes = [], []
    for split in ("train", "holdout"):
        per = d.events.get(split)
        if per is None:
            lanes.append(rp.EventLane(split, [], [], "holdout sealed"))
            continue
        shown = per[:MAX_TIMELINE_ROWS]
        if len(per) > len(shown):
            notes.append(f"{split}: first {len(shown)} of {len(per)} variants shown")
        bars = []
        for row, evs in enumerate(shown):
            for e in evs:
                start = float(e.get("start", 0.0))
                end = float(e.get("end", start + float(e.get("duration", 0.0))))
                bars.append(rp.EventBar(row, e.get("kind", "?"), start, end))
        marks = [rp.EventMark(row, float(r["at"]), r.get("what", "?"))
                 for row, rs in enumerate(d.reactions.get(split, [])[:len(shown)]) for r in rs]
        lanes.append(rp.EventLane(split, [f"{split}-{i:05d}" for i in range(len(shown))], bars,
                                  "" if bars else "no events in this split", marks))
    what: dict[str, int] = {}
    for per in d.reactions.values():
        for rs in per:
            for r in rs:
                what[r.get("what", "?")] = what.get(r.get("what", "?"), 0) + 1
    if what:
        notes.append("people's reactions (markers on their variant's row): "
                     + ", ".join(f"{n} {w}" for w, n in sorted(what.items())))
    return rp.timeline(lanes, kinds), "; ".join(notes)


# ------------------------------------------------------------------------------------------------- HTML

CSS = """
body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#222;font-size:14px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#11772d;font-weight:bold}.fail{color:#b00020;font-weight:bold}.skip{color:#777}
.verdict{font-size:18px;padding:8px 12px;margin:10px 0;border-radius:4px}
.verdict.ok{background:#e6f4ea}.verdict.fail{background:#fde7ea}
img{max-width:100%;display:block;margin:6px 0}.cap{color:#555;font-size:13px}
code{font-size:12px}ul.problems{margin:0;padding-left:18px;color:#b00020}
"""  # noqa: E501


def _seed(entry: dict) -> str:
    if entry.get("entropy") is not None:
        return f"entropy <code>{_e(entry['entropy'])}</code>"
    if entry.get("commitment"):
        return f"sealed: commitment <code>{_e(entry['commitment'])}</code>"
    return "–"


def header_html(out: Path, m: dict, ok: bool) -> str:
    src = m["source"]
    counts = ", ".join(f"{_e(k)} {_e(v)}" for k, v in m["counts"].items())
    seeds = "".join(f"<tr><th>seed {_e(s)}</th><td>{_seed(v)}</td></tr>"
                    for s, v in sorted(m["seeds"].items(), key=lambda kv: kv[0] != "train"))
    lineage = "".join(f"<tr><th>lineage {_e(k)}</th><td>{_e(v if isinstance(v, str) else json.dumps(v))}</td></tr>"
                      for k, v in sorted(m["lineage"].items()))  # a purpose list, the sources: as JSON
    splits = m["config"]["body"].get("splits", {})
    dj = m["disjointness"]
    verdict = ('<div class="verdict ok">verify passed: the independence proof holds</div>' if ok else
               '<div class="verdict fail">verify FAILED: this set does not match its manifest (see the checks)</div>')
    return f"""<h1>twinsplit report: {_e(out.name)}</h1>
{verdict}
<table>
<tr><th>source</th><td><code>{_e(src['name'])}</code> ({len(src['files'])} copied files, {_e(src['up_axis'])}-up, {_e(src['meters_per_unit'])} m/unit)</td></tr>
<tr><th>tool</th><td>{_e(m['tool'].get('name', 'twinsplit'))} {_e(m['tool'].get('version', '?'))}, USD {_e(m['usd_version'])}</td></tr>
<tr><th>variants</th><td>{counts}; {len(m['parameters'])} parameters</td></tr>
<tr><th>splits</th><td>mode {_e(splits.get('mode', 'iid'))}, metric {_e(dj.get('metric'))}, min_margin {_e(dj.get('min_margin'))}</td></tr>
{seeds}{lineage}
</table>"""  # noqa: E501


_STATUS = {Status.OK: '<span class="ok">ok</span>', Status.SKIP: '<span class="skip">skip</span>',
           Status.FAIL: '<span class="fail">FAIL</span>', Status.CRASH: '<span class="fail">CRASH</span>'}


def checks_html(checks: list[Check]) -> str:
    rows = []
    for c in checks:
        status = _STATUS[c.status]
        problems = (("<ul class=problems>" + "".join(f"<li>{_e(f.text)}</li>" for f in c.findings) + "</ul>")
                    if c.findings else "")
        rows.append([_td(_e(c.name)), _td(status), _td(_e(c.detail)), _td(problems)])
    return "<h2>1. Verify checks</h2>" + _table(["check", "status", "detail", "problems"], rows)


def distance_html(d: Derived | None, sealed: bool) -> str:
    head = "<h2>6. Train ↔ holdout distance</h2>"
    if d is None or d.distance is None:
        return head + f"<p>{'holdout sealed: no distance figures without its key' if sealed else 'unavailable'}</p>"
    r = d.distance
    nt = r["nearest_train"]
    summary = _table(["figure", "value"], [
        [_td("energy distance"), _td(_num(r["energy_distance"]), "num")],
        [_td("MMD² (RBF, median bandwidth)"), _td(_num(r["mmd_rbf"]["mmd2"]), "num")],
        [_td("RBF bandwidth"), _td(_num(r["mmd_rbf"]["bandwidth"]), "num")],
        [_td("nearest train, L∞: min / median / max"),
         _td(" / ".join(_num(nt["linf"][k]) for k in ("min", "median", "max")), "num")],
        [_td("nearest train, L2: min / median / max"),
         _td(" / ".join(_num(nt["l2"][k]) for k in ("min", "median", "max")), "num")],
        [_td("variants / shared parameters"),
         _td(f"{r['n_train']} train, {r['n_holdout']} holdout, {r['n_parameters']}", "num")],
    ])
    params = r["parameters"]
    rows = [[_td(f"<code>{_e(p['name'])}</code>"), _td(_num(p["ks_statistic"], 3), "num"),
             _td(_num(p["ks_pvalue"], 3), "num"), _td(_num(p["wasserstein"], 3), "num"),
             _td(_num(p["coverage_train"], 2), "num"), _td(_num(p["coverage_holdout"], 2), "num")]
            for p in params[:MAX_TABLE]]
    more = f"<p class=cap>{len(params) - MAX_TABLE} more parameters omitted.</p>" if len(params) > MAX_TABLE else ""
    return (head + summary + f"<p class=cap>coverage: fraction of the {r['coverage_bins']} equal bins over [0, 1] "
            "that hold at least one value.</p>"
            + _table(["parameter", "KS", "KS p", "Wasserstein", "coverage train", "coverage holdout"], rows) + more)


def build(out: Path, holdout: Path | None = None, reveal: Path | None = None, pubkey: Path | None = None,
          results: Path | None = None) -> Report:
    out = Path(out).resolve()
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    manifest = mf.load(out)
    checks, ctx = run_checks(out, holdout=holdout, reveal=reveal, pubkey=pubkey)
    ok = all(c.ok for c in checks)
    sealed = "commitment" in manifest["seeds"].get("holdout", {})
    notes: list[str] = []
    try:
        d: Derived | None = derive(out, manifest, reveal, ctx.plan)
    except TwinsplitError as exc:
        d = None
        notes.append(f"the plan could not be re-derived, so there are no figures: {exc}")
    dj = manifest["disjointness"]
    metric, margin = str(dj.get("metric", "linf")), float(dj.get("min_margin", 0.0))
    parts = [header_html(out, manifest, ok)]
    if notes:
        parts.append("".join(f'<p class="fail">{_e(n)}</p>' for n in notes))
    parts.append(checks_html(checks))
    images = 0
    hold_sealed = d is None or d.holdout is None
    sealed_note = "<p>The holdout is sealed: only the train side is shown (pass --holdout DIR --reveal KEY).</p>"

    parts.append("<h2>2. Parameters: train vs holdout</h2>")
    if d is not None and d.names:
        png, cap = hist_figure(d)
        images += 1
        parts += [sealed_note if sealed and hold_sealed else "", f"<p class=cap>{_e(cap)}</p>", _img(png, "histograms")]

    parts.append("<h2>3. Projection of all variants</h2>")
    if d is not None and d.shared.any():
        png, cap = projection_figure(d)
        images += 1
        parts += [f"<p class=cap>{_e(cap)}</p>", _img(png, "projection")]

    parts.append("<h2>4. Holdout distance to the nearest train variant</h2>")
    if d is not None and not hold_sealed and d.shared.any() and len(d.holdout):
        png, (lo, med) = nearest_figure(d, metric, margin)
        images += 1
        parts += [f"<p class=cap>{_e(metric)} over the normalized shared parameters (cKDTree); min {_num(lo)}, "
                  f"median {_num(med)}; dashed: min_margin {_num(margin)}.</p>", _img(png, "nearest train distance")]
    else:
        parts.append(sealed_note if sealed else "<p>unavailable</p>")

    parts.append("<h2>5. Events timeline</h2>")
    if d is not None:
        png, cap = events_figure(d)
        if png is None:
            parts.append(f"<p>{_e(cap)}</p>")
        else:
            images += 1
            parts += [f"<p class=cap>{_e(cap)}</p>" if cap else "", _img(png, "events timeline")]
    parts.append(distance_html(d, sealed))
    parts.append(anchors_html(manifest))
    extra, n = _floor_and_score(out, manifest, ctx.plan, results)
    parts.append(extra)
    images += n
    body = "\n".join(p for p in parts if p)
    page = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n<title>twinsplit report: '
            f'{_e(out.name)}</title>\n'
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")
    return Report(page, ok, images, notes)


def _floor_and_score(out: Path, manifest: dict, plan, results: Path | None) -> tuple[str, int]:
    """Sections 7 (floor plan) and 8 (score, with --results): (HTML, images)."""
    parts, images = ["<h2>7. Floor plan</h2>"], 0
    if plan is None:
        parts.append("<p>unavailable: the plan could not be re-derived</p>")
    else:
        from . import floorplan

        images += 1
        parts += [f"<p class=cap>top-down at the pose time: static geometry, regions (dashed), layout keep-out "
                  f"(hatched), movable bodies at their source pose (outlines) and where the first "
                  f"{floorplan.MAX_VARIANTS} variants of each split put them, removed bodies (×), event paths and "
                  f"places.</p>", _img(floorplan.figure(floorplan.floor(plan, manifest)), "floor plan")]
    if results is None:
        parts.append("<h2>8. Score</h2><p>no results: pass <code>--results RESULTS</code> (see docs/score.md)</p>")
        return "\n".join(parts), images
    if plan is None:
        raise TwinsplitError("cannot score the results: the plan could not be re-derived")
    from ..score.bootstrap import per_variant
    from ..score.compute import rows_of, score
    from ..score.record import record
    from ..score.results import read
    from ..score.table import from_plan
    from .score_section import html as score_html

    res = read(results)
    table = from_plan(manifest, plan)
    rec = record(out, results, score(table, res))
    name, y = res.metric(None)
    means, episodes = per_variant(rows_of(table, res), y, len(table.ids))
    section, n = score_html(rec["score"], table, means, episodes > 0, rec["results"])
    return "\n".join(parts + [section]), images + n


def write(out: Path, dest: Path | None = None, holdout: Path | None = None, reveal: Path | None = None,
          pubkey: Path | None = None, results: Path | None = None) -> tuple[Path, Report]:
    """Build the report of OUT and write it to `dest` (default: `default_path(out)`); returns (path, report)."""
    out = Path(out)
    dest = Path(dest) if dest is not None else default_path(out)
    check_destination(out, dest)
    report = build(out, holdout, reveal, pubkey, results)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(report.html, encoding="utf-8")
    tmp.replace(dest)
    return dest, report
