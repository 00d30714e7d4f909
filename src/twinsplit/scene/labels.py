"""Every semantic label a prim authors, with where it is authored: UsdSemantics' LabelsAPI
(`semantics:labels:<taxonomy>`, a token array per taxonomy instance) and the older SemanticsAPI that Isaac Sim
still writes (`semantic:<instance>:params:semanticData`, its taxonomy in `...:params:semanticType`).

`discover.labels_of` reads the same attributes for selectors (labels only, hot path); this keeps the taxonomy and
the attribute of each label, for checking them against a declared taxonomy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pxr import Usd

from .discover import LABEL_ATTR_PREFIX

_LEGACY = re.compile(r"^semantic:([^:]+):params:semanticData$")


@dataclass(frozen=True)
class Label:
    taxonomy: str  # the LabelsAPI instance name, or the legacy semanticType ("class" when not authored)
    attribute: str  # the attribute that holds it
    value: str


def labels(prim: Usd.Prim) -> list[Label]:
    """The prim's labels in authored-property order (a label authored twice in one attribute counts once)."""
    out: list[Label] = []
    for name in prim.GetAuthoredPropertyNames():
        if name.startswith(LABEL_ATTR_PREFIX):
            taxonomy = name[len(LABEL_ATTR_PREFIX):]
        elif m := _LEGACY.match(name):
            kind = prim.GetAttribute(f"semantic:{m.group(1)}:params:semanticType")
            taxonomy = str(kind.Get() or "class") if kind else "class"
        else:
            continue
        attr = prim.GetAttribute(name)
        value = attr.Get() if attr else None  # a relationship of that name gives no attribute
        if value is None:
            continue
        items = [value] if isinstance(value, str) else list(value)
        out += [Label(taxonomy, name, str(v)) for v in dict.fromkeys(items)]
    return out
