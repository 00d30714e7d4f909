"""`twinsplit verify`: re-derive and re-check a generated set. Never trusts what the manifest claims."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import manifest as mf
from ..errors import TwinsplitError
from ..plan.draw import Plan
from ..proof.attest import ATTESTATION
from ..write.outdir import safe_join

# Files a set may carry besides the ones the manifest lists (each checked by its own check).
EXTRA_FILES = {mf.MANIFEST, ATTESTATION}


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    detail: str = ""
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Context:
    out: Path
    manifest: dict[str, Any]
    holdout_dir: Path | None = None
    reveal: Path | None = None
    pubkey: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    plan: Plan | None = None
    stage: Any = None

    @property
    def sealed(self) -> bool:
        return "commitment" in self.manifest["seeds"].get("holdout", {})

    def root_of(self, split: str) -> Path | None:
        """Where a split's files live: OUT, or the sealed holdout directory (None when not given)."""
        if split == "holdout" and self.sealed:
            return self.holdout_dir
        return self.out

    def path(self, rel: str, split: str = "train") -> Path:
        root = self.root_of(split)
        if root is None:
            raise TwinsplitError(f"{rel}: sealed holdout file, pass --holdout DIR to check it")
        return safe_join(root, rel)

    @property
    def variants(self) -> list[dict[str, Any]]:
        return self.manifest["variants"]

    def listed_files(self, root: Path) -> dict[str, str]:
        """{relative path: sha256} of every file the manifest places under `root`."""
        files = {f["path"]: f["sha256"] for f in self.manifest["source"]["files"]}
        for v in self.variants:
            if self.root_of(v["split"]) != root:
                continue
            files[v["path"]] = v["sha256"]
            if v.get("values_path"):
                files[v["values_path"]] = v["values_sha256"]
        return files

    def roots(self) -> list[Path]:
        return [r for r in dict.fromkeys([self.out, self.root_of("holdout")]) if r is not None]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: unlike ==, true is not 1 and 1 is not 1.0 (a hand-edited manifest must not pass)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


CheckFn = Callable[[Context], Check]


CHECKS: list[CheckFn] = []
CHECK_MODULES = ("files", "config", "seal", "rederive", "disjointness", "attestation", "events", "layout")


def check(fn: CheckFn) -> CheckFn:
    CHECKS.append(fn)
    return fn


def _label(ctx: Context, root: Path) -> str:
    return "" if root == ctx.out else f"{root.name}/"


def _load_check_modules() -> None:
    """Every check module registers its checks with @check when imported; this order is verify's order."""
    import importlib

    for name in CHECK_MODULES:
        importlib.import_module(f"{__package__}.checks.{name}")


def verify(out: Path, holdout: Path | None = None, reveal: Path | None = None,
           pubkey: Path | None = None) -> list[Check]:
    return run_checks(out, holdout, reveal, pubkey)[0]


def run_checks(out: Path, holdout: Path | None = None, reveal: Path | None = None,
               pubkey: Path | None = None) -> tuple[list[Check], Context]:
    """verify's checks and the context they filled (its re-derived plan, for the report to reuse)."""
    _load_check_modules()
    out = Path(out).resolve()
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    if (holdout is None) != (reveal is None):
        raise TwinsplitError("--holdout and --reveal go together")
    if holdout is not None and not Path(holdout).is_dir():
        raise TwinsplitError(f"{holdout}: no such holdout directory")
    ctx = Context(out, mf.load(out), Path(holdout).resolve() if holdout else None, reveal, pubkey)
    results = []
    for fn in CHECKS:
        try:
            results.append(fn(ctx))
        except TwinsplitError as exc:
            results.append(Check(fn.__name__, [str(exc)]))
        except Exception as exc:  # noqa: BLE001 - a malformed output must give a FAIL line, not a traceback
            text = " ".join(str(exc).split())[:200]
            results.append(Check(fn.__name__, [f"check crashed on this output ({type(exc).__name__}: {text})"]))
    return results, ctx


def as_json(results: list[Check]) -> dict[str, Any]:
    return {"ok": all(r.ok for r in results),
            "checks": [{"name": r.name, "ok": r.ok, "skipped": r.skipped, "detail": r.detail, "problems": r.problems}
                       for r in results]}
