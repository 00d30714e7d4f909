"""The report's score section (`report --results`): the gap with its interval, the metric against the top
attributed parameters, the metric and failure rate per event kind. The figures come from `score.compute` on
the plan the report already has; nothing here computes a statistic."""

from __future__ import annotations

import numpy as np

from . import plots as rp
from .html_parts import e, img, num, table, td

TOP = 3  # parameters plotted against the metric


def _ci(ci: list) -> str:
    return "–" if ci[0] is None else f"[{num(ci[0], 3)}, {num(ci[1], 3)}]"


def _row(label: str, g: dict, gap: dict | None) -> list[str]:
    return [td(e(label)), td(num(g["mean"], 3), "num"), td(_ci(g["ci95"]), "num"),
            td(f"{g['variants']} / {g['episodes']}", "num"),
            td("" if gap is None else f"{num(gap['gap'], 3)} {_ci(gap['ci95'])}", "num")]


def metric_figure(table_, means: np.ndarray, has: np.ndarray, attribution: list[dict]) -> bytes | None:
    """Per-variant metric against each of the TOP attributed parameters (or event kinds), train and holdout."""
    top = attribution[:TOP]
    if not top:
        return None
    col = {n: j for j, n in enumerate(table_.names)}
    kind = {f"events.{k}": j for j, k in enumerate(table_.kinds)}
    with rp.rc_context(rp.RC):
        fig = rp._figure(3.0)
        axes = fig.subplots(1, len(top), squeeze=False)[0]
        for ax, a in zip(axes, top, strict=True):
            name = a["parameter"]
            x = table_.values[:, col[name]] if name in col else table_.has_kind[:, kind[name]].astype(float)
            for split in ("train", "holdout"):
                sel = has & (table_.split == split) & np.isfinite(x)
                ax.scatter(x[sel], means[sel], s=10, alpha=0.6, color=rp.COLORS[split], label=split, lw=0)
            if a["drop"] is not None:
                ax.axvspan(a["drop"]["low"], a["drop"]["high"], color=rp.REGION_COLOR, alpha=0.15)
            ax.set_title(f"{name}\nimportance {num(a['importance'], 3)}, rho {num(a['rho'], 2)}", loc="left")
            ax.set_ylabel("metric (per-variant mean)")
        axes[0].legend(loc="best", frameon=False)
        return rp._png(fig)


def html(score: dict, table_, means: np.ndarray, has: np.ndarray, results: dict) -> tuple[str, int]:
    """(section HTML, images)."""
    s = score
    head = (f"<h2>8. Score: {e(s['metric'])}</h2><p class=cap>results <code>{e(results['name'])}</code> (sha256 "
            f"<code>{e(results['sha256'])}</code>): {s['rows']} rows, {s['variants']['scored']} of "
            f"{s['variants']['listed']} variants scored; 95 % bootstrap intervals over variants; gap = holdout "
            f"(or group) mean minus train mean.</p>")
    rows = [_row(k, g, None) for k, g in s["splits"].items()]
    rows.append([td("<b>train → holdout gap</b>"), td(num(s["gap"]["gap"], 3), "num"), td(_ci(s["gap"]["ci95"]), "num"),
                 td(""), td("")])
    rows += [_row(f"region {r['region']}", r, r["gap"]) for r in s["regions"]]
    rows += [_row(f"holdout-only {k['kind']}", k, k["gap"]) for k in s["holdout_only_events"]]
    rows += [_row(f"incident {k['incident']}", k, k["gap"]) for k in s.get("incidents", [])]
    parts = [head, table(["group", "mean", "95 % interval", "variants / episodes", "gap to train"], rows)]
    missing = s["variants"]["without_results"]
    if missing["count"]:
        parts.append(f"<p class=cap>{missing['count']} variants without results: "
                     f"{e(', '.join(missing['ids'][:20]))}{' …' if missing['count'] > 20 else ''}</p>")
    images = 0
    png = metric_figure(table_, means, has, s["attribution"])
    if png is not None:
        images += 1
        parts += ["<p class=cap>the metric against the top attributed parameters; shaded: where it drops.</p>",
                  img(png, "metric against the top attributed parameters")]
    attr = [[td(f"<code>{e(a['parameter'])}</code>"), td(num(a["importance"], 3), "num"), td(num(a["rho"], 2), "num"),
             td(num(a["p_value"], 2), "num"), td(num(a["p_adjusted"], 2), "num"),
             td("–" if a["drop"] is None else f"[{num(a['drop']['low'])}, {num(a['drop']['high'])}] → "
                f"{num(a['drop']['mean_inside'], 3)}", "num")] for a in s["attribution"][:15]]
    if attr:
        parts.append(table(["parameter", "importance", "rho", "p", "p (family-wise)", "drops in → mean"], attr))
    label = "failure rate" if s["binary"] else "mean"
    kinds = [[td(e(k["kind"]))] + [td(_rate(k[sp], s["binary"]), "num") for sp in ("train", "holdout")]
             for k in s["event_kinds"]]
    if kinds:
        parts.append(f"<p class=cap>{label} of the variants with each event kind</p>"
                     + table(["event kind", f"train {label}", f"holdout {label}"], kinds))
    return "\n".join(parts), images


def _rate(g: dict, binary: bool) -> str:
    if g["mean"] is None:
        return "–"
    value = 1 - g["mean"] if binary else g["mean"]
    return f"{num(value, 3)} ({g['variants']})"
