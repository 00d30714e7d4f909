"""`validate --taxonomy FILE`: the semantic labels a capture team and a synthetic-data team agreed on.

The file is YAML or JSON (by suffix: .json is JSON, anything else YAML):

    labels:            # allowed in every taxonomy that `taxonomies` does not list
      - pallet
      - vehicle:       # a parent with its children (any depth): parent and children are all allowed
          - forklift
          - agv
    taxonomies:        # optional: per taxonomy (the LabelsAPI instance, semantics:labels:<name>,
      role: [worker, visitor]  # or the legacy semanticType), instead of `labels`

A bare top-level list is `labels` alone. Labels match exactly (case-sensitive).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError


@dataclass(frozen=True)
class Taxonomy:
    name: str  # the file as given, for messages
    labels: frozenset[str]
    taxonomies: dict[str, frozenset[str]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # label -> its parent in the hierarchy

    def allowed(self, taxonomy: str) -> frozenset[str]:
        return self.taxonomies.get(taxonomy, self.labels)

    def declares(self, taxonomy: str, label: str) -> bool:
        return label in self.allowed(taxonomy)

    def nearest(self, taxonomy: str, label: str) -> str | None:
        """The declared label a drifted one most likely means (case, spelling), if any is close."""
        allowed = sorted(self.allowed(taxonomy))
        folded = [a for a in allowed if a.casefold() == label.casefold()]
        if folded:
            return folded[0]
        close = difflib.get_close_matches(label, allowed, n=1, cutoff=0.75)
        return close[0] if close else None


def _nodes(items: Any, where: str, parent: str | None, out: dict[str, str | None]) -> None:
    """Flatten a hierarchy list into {label: parent}."""
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of labels, got {type(items).__name__}")
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if isinstance(item, dict) and len(item) == 1:
            (label, children), = item.items()
            _add(label, at, parent, out)
            if children is not None:
                _nodes(children, f"{at}.{label}", label, out)
        else:
            _add(item, at, parent, out)


def _add(label: Any, where: str, parent: str | None, out: dict[str, str | None]) -> None:
    if not isinstance(label, str) or not label:
        raise ValueError(f"{where}: expected a label (a non-empty string) or {{parent: [children]}}, got {label!r}")
    if label in out:
        raise ValueError(f"{where}: label {label!r} is declared twice")
    out[label] = parent


def parse(data: Any, name: str) -> Taxonomy:
    """A Taxonomy from the file's parsed data; InputError naming the file and the first problem."""
    try:
        if isinstance(data, list):
            data = {"labels": data}
        if not isinstance(data, dict):
            raise ValueError(f"expected a list of labels or a mapping with labels/taxonomies, got "
                             f"{type(data).__name__}")
        if unknown := sorted(set(data) - {"labels", "taxonomies"}):
            raise ValueError(f"unknown key {unknown[0]!r} (expected labels, taxonomies)")
        if "labels" not in data and "taxonomies" not in data:
            raise ValueError("declares no labels (give labels, taxonomies or both)")
        default: dict[str, str | None] = {}
        _nodes(data.get("labels", []), "labels", None, default)
        per: dict[str, dict[str, str | None]] = {}
        taxonomies = data.get("taxonomies", {})
        if not isinstance(taxonomies, dict):
            raise ValueError(f"taxonomies: expected a mapping of taxonomy name -> labels, got "
                             f"{type(taxonomies).__name__}")
        for key, items in taxonomies.items():
            per[str(key)] = {}
            _nodes(items, f"taxonomies.{key}", None, per[str(key)])
    except ValueError as exc:
        raise InputError(f"taxonomy {name}: {exc}") from None
    parents = {k: v for table in (default, *per.values()) for k, v in table.items() if v is not None}
    return Taxonomy(name, frozenset(default), {k: frozenset(v) for k, v in per.items()}, parents)


def load(path: Path) -> Taxonomy:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read taxonomy {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"cannot read taxonomy {path}: not UTF-8 text") from None
    try:
        data = json.loads(text) if Path(path).suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InputError(f"cannot parse taxonomy {path}: {' '.join(str(exc).split())}") from None
    return parse(data, Path(path).name)
