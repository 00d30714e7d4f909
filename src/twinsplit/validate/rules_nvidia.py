"""Adapter for NVIDIA's omniverse-asset-validator: each checker we use is its own registry entry
(`nvidia:<Checker>`), so `--skip nvidia:MassChecker` works; the selected ones run together in one engine
pass per stage. The package is imported lazily and its INFO logging silenced (never the root logger).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator

from .engine import Context
from .issues import Issue, Severity
from .registry import Rule, rule

# Their severities: ERROR = the checker raised (our CRASH); FAILURE = the rule failed (the entry's severity).
_SEVERITY = {"ERROR": Severity.CRASH, "WARNING": Severity.WARNING, "INFO": Severity.INFO}


def _av():
    logging.getLogger("omni.asset_validator").setLevel(logging.WARNING)
    import omni.asset_validator as av

    return av


@functools.lru_cache(maxsize=8)
def _engine(names: tuple[str, ...]):
    """One ValidationEngine per set of checkers, shared for the whole session (building one is not free)."""
    av = _av()
    engine = av.ValidationEngine(init_rules=False)
    for name in names:
        engine.enable_rule(getattr(av, name))
    return engine


def _run(ctx: Context) -> dict[str, list]:
    """All selected NVIDIA checkers on this stage in one pass; their issues grouped by checker name."""
    if "nvidia" not in ctx.cache:
        names = tuple(sorted(r.split(":", 1)[1] for r in ctx.selected if r.startswith("nvidia:")))
        try:
            grouped: dict[str, list] = {n: [] for n in names}
            for issue in _engine(names).validate(ctx.stage).issues():
                name = getattr(issue.rule, "__name__", str(issue.rule))
                grouped.setdefault(name, []).append(issue)
            ctx.cache["nvidia"] = grouped
        except Exception as exc:  # noqa: BLE001 - re-raised by each adapter entry so each reports CRASH
            ctx.cache["nvidia"] = exc
    result = ctx.cache["nvidia"]
    if isinstance(result, Exception):
        raise result
    return result


class _Adapter(Rule):
    checker = ""

    def check(self, ctx: Context) -> Iterator[Issue]:
        for found in _run(ctx).get(self.checker, []):
            sev = getattr(found.severity, "name", str(found.severity))
            if sev == "NONE":
                continue
            at = getattr(found.at, "path", None)
            prop = None
            if at is not None and at.IsPropertyPath():
                at, prop = at.GetPrimPath(), at.name
            suggestion = getattr(found.suggestion, "message", None) if found.suggestion else None
            yield self.issue(ctx, " ".join(str(found.message).split()), str(at) if at is not None else None,
                             attribute=prop, suggestion=suggestion, severity=_SEVERITY.get(sev))


def _adapter(name: str, severity: Severity, doc: str) -> type[Rule]:
    cls = type(name, (_Adapter,), {"checker": name, "__doc__": doc})
    return rule(f"nvidia:{name}", "nvidia", severity)(cls)


# Severity is what a FAILURE of that checker maps to. A missing defaultPrim (StageMetadataChecker) only
# matters when the stage is referenced as an asset, and twins are opened as root stages: a warning.
_adapter("StageMetadataChecker", Severity.WARNING,
         "NVIDIA StageMetadataChecker: the stage declares upAxis, metersPerUnit and a valid defaultPrim.")
_adapter("MissingReferenceChecker", Severity.ERROR,
         "NVIDIA MissingReferenceChecker: every sublayer, reference, payload and asset path resolves.")
_adapter("RigidBodyChecker", Severity.ERROR,
         "NVIDIA RigidBodyChecker: rigid bodies are well formed (no nested bodies, valid transforms and mass).")
_adapter("ColliderChecker", Severity.ERROR,
         "NVIDIA ColliderChecker: collision shapes are supported and well formed.")
_adapter("MassChecker", Severity.ERROR,
         "NVIDIA MassChecker: rigid bodies or their colliders have mass and inertial properties specified.")
