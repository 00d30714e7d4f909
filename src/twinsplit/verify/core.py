"""`twinsplit verify`: re-derive and re-check a generated set. Never trusts what the manifest claims.

A check is a function registered with `@check(id, needs=..., uses=..., provides=...)`; its docstring is its
description. What it provides is a typed Context field it fills (`ctx.config`, `ctx.plan`, ...); the runner
orders checks so a provider runs before every check that needs or uses its output (ties: the declared
`order`), and a check whose needed input was not produced is reported without being run.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import manifest as mf
from ..errors import TwinsplitError
from ..proof.attest import ATTESTATION
from ..proof.croissant import CROISSANT
from ..write.outdir import safe_join

if TYPE_CHECKING:
    from pxr import Usd

    from ..config import Config
    from ..plan.draw import Plan
    from ..write.chunks import PoolFactory
    from ..write.recheck import VariantCheck

# Files a set may carry besides the ones the manifest lists (each checked by its own check).
EXTRA_FILES = {mf.MANIFEST, ATTESTATION, CROISSANT}


@dataclass(frozen=True)
class Finding:
    """One problem a check found. `file` is the path as verify prints it (relative to OUT, or `<holdout dir>/...`
    for a sealed holdout); `prim` and `attribute` name the USD prim and property when the check knows them."""

    check: str
    message: str
    file: str | None = None
    prim: str | None = None
    attribute: str | None = None

    @property
    def text(self) -> str:
        """The line verify prints: `<file>: <message>`, or the message alone; the prim before the message when the
        check knows it and the message does not name it (a finding must say where to look)."""
        message = f"{self.prim}: {self.message}" if self.prim and self.prim not in self.message else self.message
        return f"{self.file}: {message}" if self.file else message

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "file": self.file, "prim": self.prim, "attribute": self.attribute,
                "message": self.message}


class Status(str, Enum):
    """A check's outcome. CRASH: the check itself raised (a bug or an output it cannot read), not a failed claim."""

    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"
    CRASH = "crash"


@dataclass
class Check:
    """The result of one check: its findings, a one-line detail, and whether it was skipped or crashed."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    detail: str = ""
    skipped: bool = False
    crashed: bool = False

    def fail(self, message: str, file: str | None = None, prim: str | None = None,
             attribute: str | None = None) -> None:
        self.findings.append(Finding(self.name, message, file, prim, attribute))

    def skip(self, detail: str = "") -> None:
        self.skipped, self.detail = True, detail

    @property
    def ok(self) -> bool:
        return not self.findings and not self.crashed

    @property
    def status(self) -> Status:
        if self.crashed:
            return Status.CRASH
        if self.findings:
            return Status.FAIL
        return Status.SKIP if self.skipped else Status.OK


_PROVIDED = {"provided": True}


@dataclass
class Context:
    """What checks read (the set, its manifest, the command-line inputs) and what they provide to later checks."""

    out: Path
    manifest: dict[str, Any]
    holdout_dir: Path | None = None
    reveal: Path | None = None
    pubkey: Path | None = None
    purpose: str | None = None  # verify --purpose: the use the set must have been generated for
    workers: int = 1  # verify --workers K: processes re-deriving the variants (the same result for any K)
    pool: PoolFactory | None = None  # verify --executor ray: where they run instead (write.ray_executor)
    simulate: VariantCheck | None = None  # verify --simulate: a simulator (injected by commands/, see write.recheck)
    # provided by checks (each check's `provides`); None until its provider has run and produced it
    config: Config | None = field(default=None, metadata=_PROVIDED)  # the recorded config, parsed (`config`)
    generator: str | None = field(default=None, metadata=_PROVIDED)  # the set's generator revision = ours (`generator`)
    holdout_entropy: int | None = field(default=None, metadata=_PROVIDED)  # opened by --reveal (`seal`)
    plan: Plan | None = field(default=None, metadata=_PROVIDED)  # re-derived (`rederive`)
    stage: Usd.Stage | None = field(default=None, metadata=_PROVIDED)  # the copied source, opened (`rederive`)
    # variant id -> {"<prim>.<attr>": value} as its layer authors it (`rederive`; read back, or the re-derived
    # record, a write.layer.Authored, when the file is byte-identical to the re-derived layer)
    authored: dict[str, Mapping[str, Any]] | None = field(default=None, metadata=_PROVIDED)

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

    def label(self, root: Path) -> str:
        """How printed paths under `root` start: "" for OUT, `<dir name>/` for the sealed holdout directory."""
        return "" if root == self.out else f"{root.name}/"

    @property
    def variants(self) -> list[dict[str, Any]]:
        return self.manifest["variants"]

    def listed_files(self, root: Path) -> dict[str, str]:
        """{relative path: sha256} of every file the manifest places under `root`."""
        files = {f["path"]: f["sha256"] for f in self.manifest["source"]["files"]}
        if (hs := self.manifest.get("holdout_source")) is not None and self.root_of("holdout") == root:
            files |= {f["path"]: f["sha256"] for f in hs["files"]}  # generate --holdout-source: beside the holdout
        if (ref := self.manifest.get("reference")) is not None and root == self.out:
            files[ref["path"]] = ref["sha256"]  # the config's reference measurements, copied into OUT
        for v in self.variants:
            if self.root_of(v["split"]) != root:
                continue
            files[v["path"]] = v["sha256"]
            if v.get("values_path"):
                files[v["values_path"]] = v["values_sha256"]
        return files

    def roots(self) -> list[Path]:
        return [r for r in dict.fromkeys([self.out, self.root_of("holdout")]) if r is not None]


PROVIDED = tuple(f.name for f in dataclasses.fields(Context) if f.metadata.get("provided"))


def same(a: Any, b: Any) -> bool:
    """Equal as JSON: unlike ==, true is not 1 and 1 is not 1.0 (a hand-edited manifest must not pass)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


CheckFn = Callable[[Context, Check], None]


@dataclass(frozen=True)
class CheckInfo:
    id: str
    fn: CheckFn
    needs: tuple[str, ...] = ()  # Context fields that must be produced, else the check is skipped
    uses: tuple[str, ...] = ()  # Context fields read when produced (only ordering: the check runs after)
    provides: tuple[str, ...] = ()
    order: int = 1000  # ties in the dependency order; built-ins use 10..100, so a plugin check runs last

    @property
    def description(self) -> str:
        return " ".join((self.fn.__doc__ or "").split())

    @property
    def summary(self) -> str:
        """The docstring's first sentence."""
        return self.description.split(". ")[0].rstrip(".")


CHECKS: dict[str, CheckInfo] = {}
CHECK_MODULES = ("files", "config", "seal", "rederive", "disjointness", "attestation", "croissant", "events",
                 "layout", "people", "purpose", "holdout_source", "stakes", "anchors", "simcheck")


def check(id: str, *, needs: Iterable[str] = (), uses: Iterable[str] = (), provides: Iterable[str] = (),
          order: int = 1000) -> Callable[[CheckFn], CheckFn]:
    """Register `fn(ctx, result)` as check `id`; `needs`/`uses`/`provides` name Context fields."""
    needs, uses, provides = tuple(needs), tuple(uses), tuple(provides)
    if unknown := [n for n in needs + uses + provides if n not in PROVIDED]:
        raise ValueError(f"check {id!r}: {', '.join(unknown)} is not one of the inputs checks provide "
                         f"({', '.join(PROVIDED)})")

    def decorate(fn: CheckFn) -> CheckFn:
        if id in CHECKS:
            raise ValueError(f"check {id!r} is registered twice")
        if not (fn.__doc__ or "").strip():
            raise ValueError(f"check {id!r} needs a docstring: it is the check's description")
        CHECKS[id] = CheckInfo(id, fn, needs, uses, provides, order)
        return fn

    return decorate


def unregister(id: str) -> None:
    CHECKS.pop(id, None)


def load_builtin() -> dict[str, CheckInfo]:
    """Import the modules that register checks (lazily: nothing registers at `import twinsplit`)."""
    import importlib

    for name in CHECK_MODULES:
        importlib.import_module(f"{__package__}.checks.{name}")
    return CHECKS


def providers(infos: Iterable[CheckInfo]) -> dict[str, str]:
    """{Context field: id of the check that provides it}; raises on a field two checks provide."""
    out: dict[str, str] = {}
    for info in infos:
        for name in info.provides:
            if name in out:
                raise ValueError(f"{name} is provided by both check {out[name]!r} and check {info.id!r}")
            out[name] = info.id
    return out


def ordered(infos: Iterable[CheckInfo]) -> list[CheckInfo]:
    """The checks in a dependency order (every provider before the checks needing or using its output), ties
    broken by (order, id); raises ValueError on an input no check provides or on a cycle."""
    infos = list(infos)
    by_id = {i.id: i for i in infos}
    made_by = providers(infos)
    after: dict[str, set[str]] = {}
    for info in infos:
        if missing := [n for n in info.needs + info.uses if n not in made_by]:
            raise ValueError(f"check {info.id!r} needs {', '.join(missing)}, which no check provides")
        after[info.id] = {made_by[n] for n in info.needs + info.uses} - {info.id}
    ready = [(i.order, i.id) for i in infos if not after[i.id]]
    heapq.heapify(ready)
    out: list[CheckInfo] = []
    while ready:
        _, cid = heapq.heappop(ready)
        out.append(by_id[cid])
        for other, deps in after.items():
            if cid in deps:
                deps.discard(cid)
                if not deps:
                    heapq.heappush(ready, (by_id[other].order, other))
    if len(out) < len(infos):
        stuck = sorted(set(by_id) - {i.id for i in out})
        raise ValueError(f"checks {', '.join(stuck)} depend on each other in a cycle")
    return out


def verify(out: Path, holdout: Path | None = None, reveal: Path | None = None,
           pubkey: Path | None = None, purpose: str | None = None, workers: int = 1,
           simulate: VariantCheck | None = None, executor: str = "local",
           ray_address: str | None = None) -> list[Check]:
    return run_checks(out, holdout, reveal, pubkey, purpose, workers, simulate, executor, ray_address)[0]


def run_checks(out: Path, holdout: Path | None = None, reveal: Path | None = None,
               pubkey: Path | None = None, purpose: str | None = None,
               workers: int = 1, simulate: VariantCheck | None = None, executor: str = "local",
               ray_address: str | None = None) -> tuple[list[Check], Context]:
    """verify's checks and the context they filled (its re-derived plan, for the report to reuse). `workers`,
    `executor`, `ray_address`: where the variants are re-derived (as generate's options; the same result)."""
    from ..write.ray_executor import pool_of

    infos = ordered(load_builtin().values())
    out = Path(out).resolve()
    if not out.is_dir():
        raise TwinsplitError(f"{out}: no such output directory")
    if (holdout is None) != (reveal is None):
        raise TwinsplitError("--holdout and --reveal go together")
    if holdout is not None and not Path(holdout).is_dir():
        raise TwinsplitError(f"{holdout}: no such holdout directory")
    pool = pool_of(executor, ray_address)  # before any check: an option error is not a finding
    ctx = Context(out, mf.load(out), Path(holdout).resolve() if holdout else None, reveal, pubkey, purpose,
                  workers=workers, pool=pool, simulate=simulate)
    made_by = providers(infos)
    results: dict[str, Check] = {}
    for info in infos:
        results[info.id] = run_one(info, ctx, made_by, results)
    return list(results.values()), ctx


def run_one(info: CheckInfo, ctx: Context, made_by: dict[str, str], done: dict[str, Check]) -> Check:
    """One check's result. A missing input skips it, naming the input and its provider with the provider's status
    unless it passed (a failed provider says why; one that passed without it, e.g. a sealed set's `seal` without
    --reveal, had nothing to give); a TwinsplitError is a finding; any other exception is a crash, keeping the
    findings made so far."""
    c = Check(info.id)
    for name in info.needs:
        if getattr(ctx, name) is None:
            provider = done[made_by[name]]
            c.skip(f"needs {name}, which the {provider.name} check did not produce"
                   + ("" if provider.status is Status.OK else f" ({provider.status.value})"))
            return c
    try:
        info.fn(ctx, c)
    except TwinsplitError as exc:
        c.fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a malformed output must give a CRASH line, not a traceback
        text = " ".join(str(exc).split())[:200]
        c.crashed = True
        c.fail(f"check crashed on this output ({type(exc).__name__}: {text})")
    return c


def as_json(results: list[Check]) -> dict[str, Any]:
    return {"ok": all(r.ok for r in results),
            "checks": [{"name": r.name, "status": r.status.value, "ok": r.ok, "skipped": r.skipped,
                        "detail": r.detail, "problems": [f.text for f in r.findings],
                        "findings": [f.to_json() for f in r.findings]}
                       for r in results]}
