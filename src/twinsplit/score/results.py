"""RESULTS: a policy's evaluation outcomes, one row per episode, read from CSV or JSON Lines.

Every row names its variant (`variant`, an id as the manifest lists it); an `episode` column, when present, keys
a row with its variant (the same pair twice is an error); every other column whose values all read as numbers
(or true/false, or empty: a missing value) is a metric. Anything this cannot read unambiguously is an
`InputError` naming it: a score must never silently drop or double-count an episode.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

VARIANT, EPISODE = "variant", "episode"
KEYS = (VARIANT, EPISODE)
SHOW = 10  # ids named in one error message
_BOOL = {"true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class Results:
    path: Path
    variants: list[str]  # one per row
    metrics: dict[str, np.ndarray]  # metric name -> (rows,) float64, NaN where the row has no value
    ignored: list[str]  # columns that are not numeric (neither a key nor a metric)

    def metric(self, name: str | None) -> tuple[str, np.ndarray]:
        """(name, values) of `name`; by default `success` when there is one, else the first metric column."""
        if not self.metrics:
            raise InputError(f"{self.path}: no metric column (a column of numbers besides {', '.join(KEYS)})")
        if name is None:
            name = "success" if "success" in self.metrics else next(iter(self.metrics))
        if name not in self.metrics:
            raise InputError(f"{self.path}: no metric column {name!r}; metrics: {', '.join(self.metrics)}")
        return name, self.metrics[name]


def named(ids: list[str], what: str) -> str:
    """`3 <what>: a, b, c` (the first SHOW of them, then how many more)."""
    more = f" and {len(ids) - SHOW} more" if len(ids) > SHOW else ""
    return f"{len(ids)} {what}: {', '.join(ids[:SHOW])}{more}"


def _number(cell: object) -> float | None:
    """A metric cell as a float (NaN when empty), or None when it is not a number."""
    if cell is None or cell == "":
        return math.nan
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, (int, float)):
        return float(cell)
    if isinstance(cell, str):
        text = cell.strip().lower()
        if text in _BOOL:
            return _BOOL[text]
        try:
            return float(text) if text else math.nan
        except ValueError:
            return None
    return None


def _rows_csv(path: Path, text: str) -> tuple[list[str], list[list[object]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: empty CSV (no header row)") from None
    rows = []
    for n, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"{path}: line {n} has {len(row)} cells, the header {len(header)}")
        rows.append(row)
    return header, rows


def _rows_jsonl(path: Path, text: str) -> tuple[list[str], list[list[object]]]:
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        if dup := sorted({k for k in keys if keys.count(k) > 1}):
            raise InputError(f"{path}: line {line}: duplicate key(s) {', '.join(dup)}")
        return dict(pairs)

    header: list[str] = []
    seen: set[str] = set()
    objects = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw, object_pairs_hook=no_duplicates)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {line} is not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}: line {line} is not a JSON object")
        for k in obj:
            if k not in seen:
                seen.add(k)
                header.append(k)
        objects.append(obj)
    return header, [[o.get(k) for k in header] for o in objects]


def read(path: Path) -> Results:
    """RESULTS as CSV (`.csv`) or JSON Lines (`.jsonl`, `.ndjson`, `.json`; or any file whose first character is
    `{`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read results ({exc})") from None
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson", ".json") or (
        path.suffix.lower() != ".csv" and text.lstrip().startswith("{"))
    header, rows = (_rows_jsonl if jsonl else _rows_csv)(path, text)
    if dup := sorted({h for h in header if header.count(h) > 1}):
        raise InputError(f"{path}: duplicate column(s) {', '.join(dup)}")
    if VARIANT not in header:
        raise InputError(f"{path}: no {VARIANT!r} column (columns: {', '.join(header) or 'none'})")
    if not rows:
        raise InputError(f"{path}: no result rows")
    columns = list(zip(*rows, strict=True))
    ci = header.index(VARIANT)
    variants = [str(v).strip() if v is not None else "" for v in columns[ci]]
    if blank := [str(n) for n, v in enumerate(variants, start=1) if not v]:
        raise InputError(f"{path}: {named(blank, 'row(s) without a variant id')}")
    if EPISODE in header:
        keys = list(zip(variants, (str(e) for e in columns[header.index(EPISODE)]), strict=True))
        seen: set[tuple[str, str]] = set()
        dup_keys = sorted({f"{v}/{e}" for v, e in keys if (v, e) in seen or seen.add((v, e))})
        if dup_keys:
            raise InputError(f"{path}: {named(dup_keys, 'duplicate (variant, episode) key(s)')}")
    metrics: dict[str, np.ndarray] = {}
    ignored = []
    for name, column in zip(header, columns, strict=True):
        if name in KEYS:
            continue
        values = [_number(c) for c in column]
        if any(v is None for v in values):
            ignored.append(name)
        else:
            metrics[name] = np.array(values, dtype=np.float64)
    return Results(path, variants, metrics, ignored)
