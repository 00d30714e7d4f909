"""Report renderers: text for people, JSON (schemas/validate-report.schema.json), JUnit XML, GitHub
workflow annotations. One registry, FORMATS, which is also the CLI's --format choices."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from .. import __version__
from .engine import FileResult, Report
from .issues import Issue, Severity

REPORT_SCHEMA = "https://twinsplit.dev/schemas/validate-report.schema.json"

FORMATS: dict[str, Callable[[Report], str]] = {}


def fmt(name: str):
    def decorate(fn: Callable[[Report], str]) -> Callable[[Report], str]:
        FORMATS[name] = fn
        return fn

    return decorate


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary(report: Report) -> str:
    """e.g. "3 files, 2 errors, 1 warning" (crashes, infos and unreadable files only when there are any)."""
    parts = [plural(len(report.files), "file"), plural(report.count(Severity.ERROR), "error"),
             plural(report.count(Severity.WARNING), "warning")]
    if n := report.count(Severity.CRASH):
        parts.append(f"{n} crashed check{'' if n == 1 else 's'}")
    if n := report.count(Severity.INFO):
        parts.append(plural(n, "note"))
    if n := len(report.unreadable):
        parts.append(f"{n} unreadable")
    return ", ".join(parts)


def _ordered(issues: tuple[Issue, ...]) -> list[Issue]:
    return sorted(issues, key=lambda i: (i.severity.rank, i.rule, i.at or "", i.attribute or ""))


@fmt("text")
def to_text(report: Report) -> str:
    lines: list[str] = []
    for f in report.files:
        if f.error:
            lines += [f"{f.file}", f"  unreadable  {f.error}"]
            continue
        if not f.issues:
            continue
        lines.append(f"{f.file}" + (" (variant: delta only)" if f.kind == "variant" and _delta(f) else ""))
        for i in _ordered(f.issues):
            where = f"  {i.where}" if i.where and i.where not in i.message else ""
            lines.append(f"  {i.severity.value:<8} {i.rule}{where}: {i.message}")
            if i.suggestion:
                lines.append(f"           hint: {i.suggestion}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _delta(f: FileResult) -> bool:
    return any(status == "skipped" for _, status in f.rules)


def report_dict(report: Report) -> dict:
    return {
        "$schema": REPORT_SCHEMA,
        "tool": {"name": "twinsplit", "version": __version__},
        "summary": {
            "files": len(report.files),
            "errors": report.count(Severity.ERROR),
            "warnings": report.count(Severity.WARNING),
            "infos": report.count(Severity.INFO),
            "crashes": report.count(Severity.CRASH),
            "unreadable": len(report.unreadable),
        },
        "files": [
            {
                "file": f.file,
                "kind": f.kind,
                "seconds": round(f.seconds, 4),
                "error": f.error,
                "rules": [{"id": rid, "status": status} for rid, status in f.rules],
                "issues": [i.to_json() for i in _ordered(f.issues)],
            }
            for f in report.files
        ],
    }


@fmt("json")
def to_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2) + "\n"


@fmt("junit")
def to_junit(report: Report) -> str:
    """One testsuite per file, one testcase per rule; ERROR issues are <failure>, CRASH are <error>,
    rules that did not apply are <skipped>; warnings and notes go to the testcase's system-out."""
    root = ET.Element("testsuites", name="twinsplit validate")
    for f in report.files:
        suite = ET.SubElement(root, "testsuite", name=f.file, time=f"{f.seconds:.3f}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        cases = f.rules or (("open-stage", "ran"),)
        for rid, status in cases:
            counts["tests"] += 1
            case = ET.SubElement(suite, "testcase", classname=f.file, name=rid)
            if f.error:
                ET.SubElement(case, "error", message=f.error, type="unreadable").text = f.error
                counts["errors"] += 1
                continue
            if status == "skipped":
                ET.SubElement(case, "skipped", message="not applicable here")
                counts["skipped"] += 1
                continue
            mine = _ordered(tuple(i for i in f.issues if i.rule == rid))
            crashes = [i for i in mine if i.severity is Severity.CRASH]
            errors = [i for i in mine if i.severity is Severity.ERROR]
            if crashes:
                ET.SubElement(case, "error", message=crashes[0].message, type="crash").text = _lines(crashes)
                counts["errors"] += 1
            elif errors:
                ET.SubElement(case, "failure", message=errors[0].message, type="error").text = _lines(errors)
                counts["failures"] += 1
            rest = [i for i in mine if i.severity in (Severity.WARNING, Severity.INFO)]
            if rest:
                ET.SubElement(case, "system-out").text = _lines(rest)
        for k, v in counts.items():
            suite.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _lines(issues: list[Issue]) -> str:
    return "\n".join(f"{i.severity.value}: {i.where + ': ' if i.where else ''}{i.message}" for i in issues)


# GitHub workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
def escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s: str) -> str:
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


_GH_LEVEL = {Severity.CRASH: "error", Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


@fmt("github")
def to_github(report: Report) -> str:
    """One annotation per finding (USD gives no line numbers, so none are claimed)."""
    out: list[str] = []
    for f in report.files:
        if f.error:
            out.append(f"::error file={escape_property(f.file)},title=unreadable stage::{escape_data(f.error)}")
        for i in _ordered(f.issues):
            title = i.rule + (" (check crashed)" if i.severity is Severity.CRASH else "")
            msg = f"{i.where}: {i.message}" if i.where else i.message
            if i.suggestion:
                msg += f"\n{i.suggestion}"
            out.append(f"::{_GH_LEVEL[i.severity]} file={escape_property(f.file)},title={escape_property(title)}"
                       f"::{escape_data(msg)}")
    return "".join(line + "\n" for line in out)
