"""Audit reports: text for people, JSON for tools, JUnit XML for CI (one test case per audited stage). One
registry, FORMATS, which is also the CLI's --format choices (as validate/formats.py does for validate)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .. import __version__
from ..validate.formats import plural
from .compare import Pair, Result

FORMATS: dict[str, Callable[[Result], str]] = {}


def fmt(name: str):
    def decorate(fn: Callable[[Result], str]) -> Callable[[Result], str]:
        FORMATS[name] = fn
        return fn

    return decorate


def _pair_text(p: Pair, threshold: float) -> str:
    if p.kind == "exact":
        return f"{p.a} == {p.b} (same composed content)"
    return f"{p.a} ~ {p.b} (distance {p.distance:.6g} < {threshold:g})"


def space_text(r: Result) -> str:
    s = r.space
    if not s.keys:
        return "no feature key is shared by every stage: only exact duplicates were looked for"
    text = f"{plural(s.keys, 'feature key')} shared ({s.values} values, {s.varying} varying)"
    if s.dropped:
        text += f", {s.dropped} not in every stage left out"
    if not s.varying:
        text += ": no shared value varies, only exact duplicates were looked for"
    return text


def verdict(r: Result) -> str:
    if r.contaminated:
        return (f"CONTAMINATED: {plural(len(r.pairs), 'pair')} ({r.count('exact')} exact, {r.count('near')} near) "
                f"across {plural(len({p.a for p in r.pairs}), 'stage')} of A")
    return f"clean: no stage of A duplicates or comes within {r.threshold:g} of a stage of B"


@fmt("text")
def to_text(r: Result) -> str:
    lines = [f"audit: {plural(len(r.a), 'stage')} against {plural(len(r.b), 'stage')}; {space_text(r)}"]
    lines += [f"  {p.kind:<5}  {_pair_text(p, r.threshold)}" for p in r.pairs]
    if (d := r.distribution()) is not None:
        lines.append("nearest-neighbour distance (L-inf, normalized): "
                     + "  ".join(f"{k} {d[k]:.4g}" for k in ("min", "p05", "median", "p95", "max")))
    lines.append(verdict(r))
    return "\n".join(lines) + "\n"


def result_dict(r: Result) -> dict:
    s = r.space
    return {
        "tool": {"name": "twinsplit", "version": __version__},
        "threshold": r.threshold,
        "metric": "linf over shared feature values scaled to [0, 1] by their range over both sets",
        "contaminated": r.contaminated,
        "summary": {"a": len(r.a), "b": len(r.b), "exact": r.count("exact"), "near": r.count("near"),
                    "feature_keys": s.keys, "values": s.values, "varying": s.varying, "dropped_keys": s.dropped},
        "pairs": [{"a": p.a, "b": p.b, "kind": p.kind, "distance": p.distance} for p in r.pairs],
        "distribution": r.distribution(),
        "nearest": [{"a": a, "b": b, "distance": d} for a, b, d in r.nearest],
    }


@fmt("json")
def to_json(r: Result) -> str:
    return json.dumps(result_dict(r), indent=2) + "\n"


@fmt("junit")
def to_junit(r: Result) -> str:
    """One testsuite; one testcase per stage of A, a <failure> naming each stage of B it duplicates."""
    root = ET.Element("testsuites", name="twinsplit audit")
    suite = ET.SubElement(root, "testsuite", name="contamination", tests=str(len(r.a)),
                          failures=str(len({p.a for p in r.pairs})), errors="0", skipped="0")
    by_a: dict[str, list[Pair]] = {}
    for p in r.pairs:
        by_a.setdefault(p.a, []).append(p)
    for a in r.a:
        case = ET.SubElement(suite, "testcase", classname="twinsplit.audit", name=a)
        if mine := by_a.get(a):
            ET.SubElement(case, "failure", message=_pair_text(mine[0], r.threshold), type=mine[0].kind).text = \
                "\n".join(_pair_text(p, r.threshold) for p in mine)
    ET.SubElement(suite, "system-out").text = space_text(r)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
