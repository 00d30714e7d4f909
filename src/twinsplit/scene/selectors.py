"""Target selection: which prims a randomizer or event acts on, by path glob, API schema, type or label."""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import Field

from ..base import Strict


class Selector(Strict):
    """Prims a block applies to. A prim matches when it passes every non-empty criterion."""

    paths: list[str] = Field(default_factory=list,
                             description="Prim path globs (`*` within a name, `**` across levels). Default: any path.")
    api: list[str] = Field(default_factory=list,
                           description="Applied API schema names, any of (e.g. PhysicsMaterialAPI, "
                                       "PhysxRigidBodyAPI). Default: any.")
    types: list[str] = Field(default_factory=list,
                             description="Prim type names, any of (e.g. SphereLight). Default: any.")
    labels: list[str] = Field(default_factory=list, description="Semantic class labels, any of. Default: any.")
    exclude: list[str] = Field(default_factory=list, description="Prim path globs to leave out. Default: none.")

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.model_dump().items() if v]
        return "selector(" + (", ".join(parts) or "everything") + ")"


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a prim-path glob: `**` spans levels, `*` and `?` stay within one name."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def path_matches(path: str, globs: list[str]) -> bool:
    return any(glob_regex(g).match(path) for g in globs)
