"""Find the stages under the given paths, open each once, run the selected rules, collect a Report.

A twinsplit output directory (it has manifest.json) is validated as: its copied source root once with
every rule, then each variant by delta only: the variant is opened with a population mask of the prims
its own layer has specs for, and only the rules marked `on_delta` run, on those prims. The NVIDIA
validator and whole-stage rules never re-run per variant (bench/bench_validate.py measures the saving).
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import InputError
from .issues import Issue, Severity
from .registry import RuleInfo

STAGE_SUFFIXES = (".usd", ".usda", ".usdc", ".usdz")
MANIFEST = "manifest.json"

Kind = Literal["stage", "source", "variant"]


@dataclass(frozen=True)
class Target:
    """One thing to validate: a stage file, or a twinsplit output directory."""

    path: Path
    output: bool = False


@dataclass
class Context:
    """What a rule sees. `prim_paths` is None for a whole stage, else the delta's prims (variant mode)."""

    stage: Any  # Usd.Stage
    file: str
    kind: Kind = "stage"
    prim_paths: tuple[Any, ...] | None = None  # Sdf.Path
    config: Any = None
    taxonomy: Any = None  # validate --taxonomy: a taxonomy.Taxonomy
    source: Any = None  # the source Usd.Stage when validating a variant's delta
    shared: dict[str, Any] = field(default_factory=dict)  # per output dir (e.g. source shapes)
    cache: dict[str, Any] = field(default_factory=dict)  # per file (e.g. one NVIDIA run for all its rules)
    selected: frozenset[str] = frozenset()
    _prims: list | None = field(default=None, repr=False)

    @property
    def delta(self) -> bool:
        return self.prim_paths is not None

    def prims(self) -> list:
        """The prims to check: every prim (instance proxies included), or just the delta's prims."""
        if self._prims is None:
            from pxr import Usd

            if self.prim_paths is None:
                self._prims = list(self.stage.Traverse(Usd.TraverseInstanceProxies(Usd.PrimDefaultPredicate)))
            else:
                found = (self.stage.GetPrimAtPath(p) for p in self.prim_paths)
                self._prims = [p for p in found if p and p.IsActive() and p.IsDefined()]
        return self._prims

    def touched(self, path: str) -> bool:
        """True when `path` is (under) a prim the delta changed; always True for a whole-stage check."""
        if self.prim_paths is None:
            return True
        from pxr import Sdf

        p = Sdf.Path(path)
        return any(p.HasPrefix(d) for d in self.prim_paths)


@dataclass(frozen=True)
class FileResult:
    file: str
    kind: Kind
    issues: tuple[Issue, ...] = ()
    rules: tuple[tuple[str, str], ...] = ()  # (rule id, "ran" | "skipped")
    seconds: float = 0.0
    error: str | None = None  # set when the file could not be opened: nothing ran


@dataclass(frozen=True)
class Report:
    files: tuple[FileResult, ...]

    @property
    def issues(self) -> list[Issue]:
        return [i for f in self.files for i in f.issues]

    def count(self, severity: Severity) -> int:
        return sum(1 for i in self.issues if i.severity is severity)

    @property
    def unreadable(self) -> list[FileResult]:
        return [f for f in self.files if f.error]

    def exit_code(self, strict: bool = False) -> int:
        """2 unreadable input; 1 errors or crashes (a check that could not run is not a pass), or warnings
        with strict; else 0."""
        if self.unreadable:
            return 2
        if self.count(Severity.ERROR) or self.count(Severity.CRASH):
            return 1
        return 1 if strict and self.count(Severity.WARNING) else 0


# ---------------------------------------------------------------------------------------------- discovery


def discover(paths: Iterable[str | Path]) -> list[Target]:
    """Stage files and output dirs named by `paths`; folders are searched recursively, and a folder
    holding manifest.json is an output dir whose files are not also validated as loose stages."""
    targets: list[Target] = []
    seen: set[Path] = set()

    def add(t: Target) -> None:
        key = t.path.resolve()
        if key not in seen:
            seen.add(key)
            targets.append(t)

    for raw in paths:
        p = Path(raw)
        if p.is_file():
            add(Target(p))
        elif p.is_dir():
            found = list(_walk(p))
            if not found:
                raise InputError(f"no USD stages found in {p} (looked for {', '.join(STAGE_SUFFIXES)})")
            for t in found:
                add(t)
        else:
            raise InputError(f"cannot open {p}: no such file or directory")
    return targets


def _is_output(folder: Path) -> bool:
    """A folder is a twinsplit output when it holds manifest.json that is not plainly another tool's (a JSON
    object with neither `source` nor `variants`). An unreadable manifest counts as ours: it is reported."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return not isinstance(data, dict) or "source" in data or "variants" in data


def _walk(root: Path) -> Iterator[Target]:
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if MANIFEST in filenames and _is_output(here):
            dirnames[:] = []  # its source and variants are validated through the manifest
            yield Target(here, output=True)
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.lower().endswith(STAGE_SUFFIXES):
                yield Target(here / name)


def read_output(out: Path) -> tuple[Path, list[Path]]:
    """(source root, variant files) from OUT/manifest.json; only the keys validate needs are required.
    A sealed set's holdout variants live in their own directory (generate --holdout-out), not in OUT."""
    mpath = out / MANIFEST
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
        source = data["source"]
        root = source.get("root") or source["path"]
        sealed = "commitment" in ((data.get("seeds") or {}).get("holdout") or {})
        variants = [v["path"] for v in data.get("variants", []) if not (sealed and v.get("split") == "holdout")]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"cannot read {mpath}: {type(exc).__name__}: {exc}") from None
    return out / root, [out / v for v in variants]


# ---------------------------------------------------------------------------------------------- running


def read_target(target: Target) -> tuple[Path, list[Path]] | FileResult:
    """An output dir's (source root, variant files), or its unreadable manifest as a FileResult (a report line,
    not a crash: the other targets are still checked)."""
    try:
        return read_output(target.path)
    except InputError as exc:
        return FileResult(label(target.path / MANIFEST), "source", error=str(exc))


def label(path: Path) -> str:
    """Paths as CI annotations want them: relative to the working directory when under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (OSError, ValueError):
        return path.as_posix()


def open_stage(path: Path):
    from ..scene.discover import open_stage as _open

    return _open(path)


def run_rules(ctx: Context, rules: Sequence[RuleInfo]) -> tuple[list[Issue], list[tuple[str, str]]]:
    """Run each rule; a rule that raises becomes one CRASH issue and the others still run."""
    issues: list[Issue] = []
    statuses: list[tuple[str, str]] = []
    for info in rules:
        try:
            rule = info.cls()
            if not rule.applies(ctx):
                statuses.append((info.id, "skipped"))
                continue
            for issue in rule.check(ctx):  # keep what a rule found before it crashed
                issues.append(issue)
        except Exception as exc:  # noqa: BLE001 - isolating rules from each other is the point
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            issues.append(
                Issue(
                    f"the check crashed: {type(exc).__name__}: {exc} ({Path(tb.filename).name}:{tb.lineno})",
                    Severity.CRASH,
                    info.id,
                    None,
                    ctx.file,
                    suggestion="this is a bug in the rule, not necessarily in the stage; other rules still ran",
                )
            )
        statuses.append((info.id, "ran"))
    return issues, statuses


def validate_stage(path: Path, rules: Sequence[RuleInfo], *, config: Any = None, kind: Kind = "stage",
                   shared: dict | None = None, taxonomy: Any = None) -> tuple[FileResult, Any]:
    """Every selected rule on the whole stage. Returns the result and the open stage (None if unreadable)."""
    name = label(path)
    t0 = time.perf_counter()
    try:
        stage = open_stage(path)
    except InputError as exc:
        return FileResult(name, kind, error=str(exc)), None
    ctx = Context(stage, name, kind, config=config, taxonomy=taxonomy, shared=shared if shared is not None else {},
                  selected=frozenset(r.id for r in rules))
    issues, statuses = run_rules(ctx, rules)
    return FileResult(name, kind, tuple(issues), tuple(statuses), time.perf_counter() - t0), stage


def delta_paths(layer) -> tuple[Any, ...]:
    """Prim paths the layer changes (variant selections stripped). A bare `over` that only holds children
    is a container, not a change: counting it would make `over "World"` touch the whole stage."""
    from pxr import Sdf

    paths: set = set()

    def visit(p):
        if not p.IsPrimPath():
            return
        spec = layer.GetPrimAtPath(p)
        changed = (spec.specifier != Sdf.SpecifierOver or len(spec.properties) > 0
                   or any(k != "specifier" for k in spec.ListInfoKeys()))
        if changed:
            paths.add(p.StripAllVariantSelections())

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    paths.discard(Sdf.Path.absoluteRootPath)
    return tuple(sorted(paths))


def validate_variant(path: Path, rules: Sequence[RuleInfo], *, source: Any, shared: dict,
                     config: Any = None, taxonomy: Any = None) -> FileResult:
    """Only `on_delta` rules, only on the prims the variant's own layer touches."""
    from pxr import Sdf, Tf, Usd

    name = label(path)
    t0 = time.perf_counter()
    try:
        layer = Sdf.Layer.FindOrOpen(str(path))
        if layer is None:
            raise InputError(f"cannot open stage {path}: no such file or not a USD layer")
        paths = delta_paths(layer)
        stage = Usd.Stage.OpenMasked(layer, Usd.StagePopulationMask(list(paths)), Usd.Stage.LoadAll)
        stage.ExpandPopulationMask()  # pull in relationship targets: bound materials, joint bodies, ...
    except Tf.ErrorException as exc:
        return FileResult(name, "variant", error=f"cannot open stage {path}: {' '.join(str(exc).split())[:400]}")
    except InputError as exc:
        return FileResult(name, "variant", error=str(exc))
    delta_rules = [r for r in rules if r.cls.on_delta]
    ctx = Context(stage, name, "variant", prim_paths=paths, config=config, taxonomy=taxonomy, source=source,
                  shared=shared, selected=frozenset(r.id for r in delta_rules))
    issues, statuses = run_rules(ctx, delta_rules)
    statuses += [(r.id, "skipped") for r in rules if not r.cls.on_delta]
    return FileResult(name, "variant", tuple(issues), tuple(statuses), time.perf_counter() - t0)


def validate(targets: Iterable[Target], rules: Sequence[RuleInfo], *, config: Any = None,
             variants: Literal["delta", "full"] = "delta", taxonomy: Any = None) -> Report:
    """Validate every target. `variants="full"` re-runs every rule on each composed variant (for comparison)."""
    results: list[FileResult] = []
    for target in targets:
        if not target.output:
            results.append(validate_stage(target.path, rules, config=config, taxonomy=taxonomy)[0])
            continue
        read = read_target(target)
        if isinstance(read, FileResult):
            results.append(read)
            continue
        root, variant_paths = read
        shared: dict[str, Any] = {}
        result, source = validate_stage(root, rules, config=config, kind="source", shared=shared, taxonomy=taxonomy)
        results.append(result)
        for vpath in variant_paths:
            if variants == "full" or source is None:
                r, _ = validate_stage(vpath, rules, config=config, kind="variant", taxonomy=taxonomy)
            else:
                r = validate_variant(vpath, rules, source=source, shared=shared, config=config, taxonomy=taxonomy)
            results.append(r)
        del source  # keep the source layers open until every variant that sublayers them is done
    return Report(tuple(results))
