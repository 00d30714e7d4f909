"""The one rule registry: `@rule(id, category, severity)` on a small class; the docstring is the description.

The CLI's --rules/--skip/--list-rules choices, the JUnit test cases and the docs all come from RULES.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .issues import Issue, Severity

if TYPE_CHECKING:
    from pxr import Usd

    from .engine import Context

_ID = re.compile(r"^([a-z][a-z0-9]*(-[a-z0-9]+)*|nvidia:[A-Za-z0-9_]+)$")


class Rule:
    """Base class. Subclasses implement `check(ctx)` and yield Issues made with `self.issue(...)`."""

    id: ClassVar[str] = ""
    category: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    # Whether the rule also runs on a variant's delta (only on the prims its layer touches).
    on_delta: ClassVar[bool] = False

    def applies(self, ctx: Context) -> bool:
        """False when the rule has nothing to check here (reported as skipped, never as passed)."""
        return True

    def check(self, ctx: Context) -> Iterable[Issue]:  # pragma: no cover - abstract
        raise NotImplementedError

    def issue(
        self,
        ctx: Context,
        message: str,
        at: Usd.Prim | str | None = None,
        attribute: str | None = None,
        suggestion: str | None = None,
        severity: Severity | None = None,
    ) -> Issue:
        path = at if isinstance(at, str) or at is None else str(at.GetPath())
        return Issue(message, severity or self.severity, self.id, path, ctx.file, suggestion, attribute)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    category: str
    severity: Severity
    cls: type[Rule]

    @property
    def description(self) -> str:
        return " ".join((self.cls.__doc__ or "").split())

    @property
    def summary(self) -> str:
        """The docstring's first sentence."""
        return self.description.split(". ")[0].rstrip(".")


RULES: dict[str, RuleInfo] = {}


def rule(id: str, category: str, severity: Severity = Severity.ERROR, *, on_delta: bool = False):
    """Register a Rule subclass under `id` (kebab-case, or `nvidia:<Checker>` for the adapter)."""
    if not _ID.match(id):
        raise ValueError(f"rule id {id!r} is not kebab-case")

    def decorate(cls: type[Rule]) -> type[Rule]:
        if id in RULES:
            raise ValueError(f"rule {id!r} is registered twice")
        if not (cls.__doc__ or "").strip():
            raise ValueError(f"rule {id!r} needs a docstring: it is the rule's description")
        cls.id, cls.category, cls.severity, cls.on_delta = id, category, Severity(severity), on_delta
        RULES[id] = RuleInfo(id, category, Severity(severity), cls)
        return cls

    return decorate


def unregister(id: str) -> None:
    RULES.pop(id, None)


RULE_MODULES = ("rules_nvidia", "rules_twinsplit", "rules_import", "rules_sim", "rules_semantics")


def load_builtin() -> dict[str, RuleInfo]:
    """Import the modules that register rules (lazily: nothing registers at `import twinsplit`)."""
    import importlib

    for name in RULE_MODULES:
        importlib.import_module(f"{__package__}.{name}")

    return RULES


def expand(patterns: Iterable[str]) -> list[str]:
    """Rule ids named by ids or globs (`nvidia:*`); raises KeyError naming a pattern that matches nothing."""
    load_builtin()
    out: list[str] = []
    for pattern in patterns:
        hits = [rid for rid in RULES if fnmatch.fnmatchcase(rid, pattern)]
        if not hits:
            raise KeyError(pattern)
        out += [h for h in hits if h not in out]
    return out


def select(only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[RuleInfo]:
    """Registered rules in registry order, restricted to `only` (when given) minus `skip`."""
    load_builtin()
    only_ids, skip_ids = set(expand(only)), set(expand(skip))
    return [info for rid, info in RULES.items() if (not only_ids or rid in only_ids) and rid not in skip_ids]


def iter_rules() -> Iterator[RuleInfo]:
    yield from load_builtin().values()


def describe(info: RuleInfo) -> dict[str, Any]:
    return {"id": info.id, "category": info.category, "severity": info.severity.value, "description": info.description}
