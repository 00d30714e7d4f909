"""The report's anchors section: the field incidents the holdout is anchored to and the distances of both splits
to the reference measurements (the manifest's `incidents` and `reference`, which verify's anchors check
recomputes)."""

from __future__ import annotations

from typing import Any

from .html_parts import e, num, table, td

MAX_ROWS = 40


def html(manifest: dict[str, Any]) -> str:
    incidents, ref = manifest.get("incidents"), manifest.get("reference")
    if not incidents and not ref:
        return ""
    parts = ['<h2 id="anchors">Anchors to reality</h2>']
    if incidents:
        about = {i["id"]: i for i in manifest.get("lineage", {}).get("incidents", [])}
        rows = []
        for inc in incidents:
            lin = about.get(inc["id"], {})
            hood = "; ".join(f"<code>{e(n)}</code> [{num(lo)}, {num(hi)}]"
                             for n, (lo, hi) in inc["neighbourhood"].items())
            rows.append([td(e(inc["id"])), td(e(lin.get("description", ""))), td(e(lin.get("source", ""))),
                         td(e(inc["event"])), td(e(", ".join(f"{k} = {v:g}" for k, v in inc["observed"].items()))),
                         td(hood), td(e(", ".join(inc["variants"])))])
        parts += ["<h3>Field incidents</h3><p class=cap>Holdout variants drawn within observed ± spread × the "
                  "parameter's range; no train variant lies inside a neighbourhood.</p>",
                  table(["incident", "description", "source", "event", "observed", "neighbourhood", "holdout variants"],
                        rows)]
    if ref:
        dist = ref["distances"]
        rows = []
        for name, d in list(dist.items())[:MAX_ROWS]:
            cells = [td(f"<code>{e(name)}</code>"), td(str(d["measurements"]), "num")]
            for split in ("train", "holdout"):
                s = d.get(split)
                cells += [td(num(s["ks"], 3) if s else "sealed", "num"),
                          td(num(s["wasserstein"], 3) if s else "–", "num")]
            rows.append(cells)
        more = f"<p class=cap>{len(dist) - MAX_ROWS} more parameters omitted.</p>" if len(dist) > MAX_ROWS else ""
        drawn = ref.get("empirical") or []
        parts += [f"<h3>Distance to the reference measurements</h3><p class=cap><code>{e(ref['path'])}</code> "
                  f"(sha256 {e(ref['sha256'][:12])}…): two-sample KS statistic and Wasserstein distance of each "
                  "split's draws to the measurements, in the parameter's own units."
                  + (f" Drawn from the measurements (distribution: empirical): {len(drawn)} parameter(s)." if drawn
                     else "") + "</p>",
                  table(["parameter", "measurements", "KS train", "Wasserstein train", "KS holdout",
                         "Wasserstein holdout"], rows), more]
    return "\n".join(parts)
