"""The score record (JSON, beside OUT, never inside it) and the text summary.

The record cites the manifest's and the results file's sha256: a score is bound to the exact set and results it
was computed from (`twinsplit verify OUT` checks the set itself). Same OUT + RESULTS + metric: the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import GENERATOR_REVISION, __version__
from ..hashing import sha256_file
from ..write.outdir import beside, refuse_inside

SUFFIX = "-score.json"
SCHEMA = "twinsplit-score/1"
SHOW = 10  # attribution rows and ids in the text summary


def default_path(out: Path) -> Path:
    return beside(out, SUFFIX)


def check_destination(out: Path, dest: Path) -> None:
    refuse_inside(out, dest, "the score record", SUFFIX)


def record(out: Path, results: Path, score: dict[str, Any]) -> dict[str, Any]:
    out = Path(out)
    return {"schema": SCHEMA, "tool": {"name": "twinsplit", "version": __version__, "generator": GENERATOR_REVISION},
            "set": {"name": out.resolve().name, "manifest_sha256": sha256_file(out / "manifest.json")},
            "results": {"name": Path(results).name, "sha256": sha256_file(results)}, "score": score}


def dumps(rec: dict[str, Any]) -> str:
    return json.dumps(rec, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write(dest: Path, rec: dict[str, Any]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(dumps(rec), encoding="utf-8")
    tmp.replace(dest)


def _num(v: Any, digits: int = 3) -> str:
    return "–" if v is None else f"{v:.{digits}g}" if isinstance(v, float) else str(v)


def _ci(ci: list) -> str:
    return "[–]" if ci[0] is None else f"[{_num(ci[0])}, {_num(ci[1])}]"


def _group(label: str, g: dict, gap: dict | None = None) -> str:
    line = f"  {label:<32} mean {_num(g['mean']):>7}  95% {_ci(g['ci95']):<20} {g['variants']} variants, " \
           f"{g['episodes']} episodes"
    return line + (f"  gap {_num(gap['gap'])} {_ci(gap['ci95'])}" if gap else "")


def text(rec: dict[str, Any], dest: Path | None) -> str:
    s = rec["score"]
    v = s["variants"]
    lines = [f"score of {rec['set']['name']} (manifest sha256 {rec['set']['manifest_sha256'][:16]}…) on "
             f"{rec['results']['name']}: metric {s['metric']!r}, {s['rows']} rows, {v['scored']} of {v['listed']} "
             f"variants scored"]
    if v["without_results"]["count"]:
        ids = v["without_results"]["ids"]
        more = f" and {len(ids) - SHOW} more" if len(ids) > SHOW else ""
        lines.append(f"  {len(ids)} variants without results: {', '.join(ids[:SHOW])}{more}")
    lines += [_group(k, g) for k, g in s["splits"].items()]
    lines.append(f"  train -> holdout gap {_num(s['gap']['gap'])}  95% {_ci(s['gap']['ci95'])}")
    lines += [_group(f"region {r['region']}", r, r["gap"]) for r in s["regions"]]
    lines += [_group(f"holdout-only {e['kind']}", e, e["gap"]) for e in s["holdout_only_events"]]
    lines += [_group(f"incident {e['incident']}", e, e["gap"]) for e in s.get("incidents", [])]
    facts = s["attribution_facts"]
    if s["attribution"]:
        m = facts["model"]
        lines.append(f"attribution ({facts['varying']} varying features screened, {len(s['attribution'])} in the "
                     f"model; R² {_num(m['r2'])} on {m['scored_on']}):")
        for a in s["attribution"][:SHOW]:
            d = a["drop"]
            where = "" if d is None else f"  drops to {_num(d['mean_inside'])} in [{_num(d['low'], 4)}, " \
                                         f"{_num(d['high'], 4)}]"
            lines.append(f"  {a['parameter']:<48} importance {_num(a['importance']):>7}  rho {_num(a['rho'], 2):>5}  "
                         f"p {_num(a['p_value'], 2)} (adj. {_num(a['p_adjusted'], 2)}){where}")
    else:
        lines.append("attribution: none (too few variants or no variation in the metric)")
    if dest is not None:
        lines.append(f"score record: {dest}")
    return "\n".join(lines)
