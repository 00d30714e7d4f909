"""manifest.json: everything needed to re-derive and re-check a generated set. Schema: schemas/manifest.schema.json."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pxr import Usd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import GENERATOR_REVISION, __version__
from .errors import TwinsplitError
from .plan.draw import Plan
from .write.layer_format import LAYER_FORMATS, LEGACY_LAYER_FORMAT
from .write.sourcecopy import SourceCopy

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SourceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="File name of the source root layer as given.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$",
                        description="sha256 of the source root layer as given (before any localization).")
    root: str = Field(description="Copied root layer, relative to the output dir.")
    files: list[FileEntry] = Field(description="Every copied layer and asset with its sha256.")
    unresolved: list[str] = Field(description="Asset paths the stage names that did not resolve (e.g. missing "
                                              "textures).")
    localized: bool = Field(description="True when asset paths were rewritten to make the copy self-contained.")
    meters_per_unit: float
    up_axis: str


class HoldoutSourceEntry(SourceEntry):
    """generate --holdout-source: the second stage the holdout is drawn on, copied as `source` is."""

    match: dict[str, Any] = Field(description="How the config's targets on the two stages were matched: counts by "
                                              "path, label and name, renamed targets, matched columns, unmatched.")
    shared: dict[str, Any] = Field(description="Composed prims of the holdout source identical to the source's: "
                                               "prims, identical, fraction, max (splits.max_shared_fraction).")


class SeedEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entropy: str | None = Field(None, pattern=r"^[0-9]+$", max_length=200,
                                description="Root entropy as a decimal string.")
    commitment: str | None = Field(None, description="sha256 commitment when the split is sealed.")

    @model_validator(mode="after")
    def _one(self) -> "SeedEntry":
        if (self.entropy is None) == (self.commitment is None):
            raise ValueError("needs exactly one of entropy and commitment")
        return self


class Seeds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    train: SeedEntry
    holdout: SeedEntry


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    train: int = Field(ge=1, description="Number of train variants.")
    holdout: int = Field(ge=1, description="Number of holdout variants.")


class ConfigEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of the body's canonical JSON.")
    body: dict[str, Any] = Field(description="The validated config in canonical form.")


class SimcheckSet(BaseModel):
    """generate --simcheck: what every variant was simulated with (docs/simcheck.md)."""

    model_config = ConfigDict(extra="forbid")
    engine: dict[str, str] = Field(description="Installed versions: newton, warp-lang, newton-usd-schemas.")
    settings: dict[str, Any] = Field(description="seconds, hz, solver, iterations.")
    thresholds: dict[str, float] = Field(description="The verdict's thresholds (sim/verdict.py).")


class SimcheckEntry(SimcheckSet):
    """Per variant: it passed, after `tries` draws (the first included), with the set's engine and settings."""

    passed: bool
    tries: int = Field(ge=1)


class SimcheckManifestEntry(SimcheckSet):
    tries: int = Field(ge=1, description="--simcheck-tries: the most draws a variant could use.")


class VariantEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    split: Literal["train", "holdout"]
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    values_path: str | None = None
    values_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    redraws: int = Field(ge=0)
    events: list[dict[str, Any]] = Field(default_factory=list)
    notes: dict[str, Any] = Field(default_factory=dict, description="Per block, what the values alone do not say "
                                  "(layout: the units left at their source pose).")
    reactions: list[dict[str, Any]] = Field(default_factory=list, description="What people did about the other "
                                            "events: who, at (s), what, why, trigger, trigger_at (docs/events.md).")
    incident: str | None = Field(None, description="The config incident this holdout variant was drawn around.")
    simcheck: SimcheckEntry | None = Field(None, description="generate --simcheck: this variant's result.")

    @model_validator(mode="after")
    def _values_pair(self) -> "VariantEntry":
        if (self.values_path is None) != (self.values_sha256 is None):
            raise ValueError("values_path and values_sha256 go together")
        return self


class Manifest(BaseModel):
    """A twinsplit output's proof of independence."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = Field(description="Manifest format version.")
    tool: dict[str, str]
    usd_version: str
    source: SourceEntry
    config: ConfigEntry = Field(description="{sha256, body}: the validated config exactly as used.")
    seeds: Seeds
    counts: Counts
    layer_format: Literal[LAYER_FORMATS] = Field(  # type: ignore[valid-type]
        LEGACY_LAYER_FORMAT, description="The variant layers' file format (generate --layer-format): usdc (crate, "
        "the default) or usda (text). Absent in sets made before the option: usda.")
    parameters: list[dict[str, Any]]
    variants: list[VariantEntry]
    disjointness: dict[str, Any]
    distance: dict[str, Any]
    lineage: dict[str, Any] = Field(description="The config's lineage block (purpose, owner, consent, retention, "
                                    "and sources when recorded): docs/manifest.md.")
    seal: dict[str, Any] | None = None
    holdout_source: HoldoutSourceEntry | None = None
    simcheck: SimcheckManifestEntry | None = Field(None, description="generate --simcheck: engine, settings, "
                                                   "thresholds and tries every variant was simulated with.")
    incidents: list[dict[str, Any]] | None = Field(None, description="Per config incident: id, event, observed, "
                                                   "spread, neighbourhood {parameter name: [low, high]}, variants.")
    reference: dict[str, Any] | None = Field(None, description="The config's reference measurements: path (inside "
                                             "OUT), sha256, parameters, empirical, bandwidth, and distances "
                                             "{parameter name: {measurements, key, train|holdout: {ks, ks_pvalue, "
                                             "wasserstein, n}}}.")

    @model_validator(mode="after")
    def _consistent(self) -> "Manifest":
        seen: set[str] = set()
        for v in self.variants:
            if v.id in seen:
                raise ValueError(f"variant id {v.id} is listed twice")
            seen.add(v.id)
        return self


def layer_format(manifest: dict[str, Any]) -> str:
    """The format the manifest's variant layers are written in (usda for a manifest that does not say)."""
    return manifest.get("layer_format", LEGACY_LAYER_FORMAT)


def usd_version() -> str:
    return ".".join(str(v) for v in Usd.GetVersion())


def parameters_entry(plan: Plan) -> list[dict[str, Any]]:
    """One entry per parameter. A split's range is a function of the parameter's Dist alone, and thousands of
    parameters share one Dist (a layout block's per-body offsets): each Dist's ranges are dumped once and the
    entries share that dict, which `dumps` then encodes once. Entries are read, never mutated."""
    ranges: dict[int, dict[str, Any]] = {}
    out = []
    for p in plan.params:
        shared = ranges.get(id(p.dist))  # the plan's params keep every Dist alive: its id stays its own
        if shared is None:
            shared = ranges[id(p.dist)] = {s: p.resolved(s).model_dump(mode="json") for s in ("train", "holdout")}
        out.append({
            "name": p.name, "source": p.source, "key": p.key, "prim": p.prim, "attr": p.attr,
            "component": p.component, "type": p.type_name,
            "distribution": p.dist.distribution, "operation": p.dist.operation,
            "ranges": shared, "normalize": list(p.normalize_range),
        })
    return out


def source_entry(copy: SourceCopy, source: Path, scene, under: str = "source") -> dict[str, Any]:
    """A copied stage as the manifest records it: files and hashes relative to OUT (copied `under` that dir)."""
    from .hashing import sha256_file

    return {
        "name": source.name,
        "sha256": sha256_file(source),
        "root": f"{under}/{copy.root}",
        "files": [{"path": f"{under}/{rel}", "sha256": sha} for rel, sha in copy.files],
        "unresolved": list(copy.unresolved),
        "localized": copy.localized,
        "meters_per_unit": scene.meters_per_unit,
        "up_axis": scene.up_axis,
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    """`json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\\n"`, byte for byte, without its
    pure-Python encoder (which `indent` forces) walking every value: see `_Indented`."""
    return (_Indented().text(manifest) + "\n").encode()


_SCALARS = frozenset({str, int, float, bool, type(None)})
_LITERALS = {None: "null", True: "true", False: "false"}


def _flat_column(column: list) -> bool:
    t = type(column[0])
    return (t is dict or t is list) and all(
        type(c) is t and c and all(type(v) in _SCALARS for v in (c.values() if t is dict else c)) for c in column)


class _Indented:
    """json.dumps(indent=2, sort_keys=True, allow_nan=False) built from pieces json's C encoder writes.

    The pure-Python encoder costs a generator step per value. Here, a container of scalars and empty
    containers ("flat": a range, a normalize pair) is one C-encoder call whose item separator carries
    the newline and indent of its depth. A list of dicts with one key set (the parameter and distance
    tables) is encoded a column at a time, each scalar column in one C call, and its rows are filled
    into one %-template. A container met again at the same depth (a range shared by many parameters)
    reuses its text. Anything else (tuples, subclasses, non-string keys) is json.dumps's own text,
    re-indented: JSON text has no raw newline inside a string, so indenting after each newline is exact.
    """

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], str] = {}  # (id, depth) of a container of the input -> its text
        self._flat: list[json.JSONEncoder] = []      # depth -> C encoder for a flat container there
        # Joins a column of scalars with NUL, which no encoded scalar contains (json escapes control chars).
        self._column = json.JSONEncoder(sort_keys=True, allow_nan=False, separators=("\0", ": "))

    def text(self, o: Any, depth: int = 0) -> str:
        t = type(o)
        if t is str:
            return json.encoder.encode_basestring_ascii(o)
        if t is int or (t is float and math.isfinite(o)):
            return t.__repr__(o)  # what json writes for exact ints and floats
        if t is bool or o is None:
            return _LITERALS[o]
        if (t is not dict and t is not list) or (t is dict and not all(type(k) is str for k in o)):
            return json.dumps(o, indent=2, sort_keys=True, allow_nan=False).replace("\n", "\n" + "  " * depth)
        if not o:
            return "{}" if t is dict else "[]"
        key = (id(o), depth)  # the input holds o for the whole call, so its id names only it
        text = self._memo.get(key)
        if text is None:
            text = self._memo[key] = self._container(o, depth)
        return text

    def _container(self, o: dict | list, depth: int) -> str:
        members = o.values() if type(o) is dict else o
        if all(type(v) in _SCALARS or (type(v) in (dict, list) and not v) for v in members):
            return self._flat_text(o, depth)
        inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
        if type(o) is dict:
            parts = [f"{json.encoder.encode_basestring_ascii(k)}: {self.text(o[k], depth + 1)}" for k in sorted(o)]
            return "{" + inner + ("," + inner).join(parts) + outer + "}"
        if _flat_column(o):
            return "[" + inner + ("," + inner).join(self._flat_cells(o, depth + 1)) + outer + "]"
        if type(o[0]) is dict and o[0] and all(type(r) is dict and r.keys() == o[0].keys() for r in o) \
                and all(type(k) is str for k in o[0]):
            return "[" + inner + ("," + inner).join(self._table(o, depth + 1)) + outer + "]"
        return "[" + inner + ("," + inner).join([self.text(v, depth + 1) for v in o]) + outer + "]"

    def _flat_text(self, o: dict | list, depth: int) -> str:
        while len(self._flat) <= depth:
            sep = ",\n" + "  " * (len(self._flat) + 1)
            self._flat.append(json.JSONEncoder(sort_keys=True, allow_nan=False, separators=(sep, ": ")))
        body = self._flat[depth].encode(o)  # "{" + members + "}", the indented separators between them
        return body[0] + "\n" + "  " * (depth + 1) + body[1:-1] + "\n" + "  " * depth + body[-1]

    def _flat_cells(self, column: list, depth: int) -> list[str]:
        """The texts, at `depth`, of non-empty containers of one type holding only scalars: one C call.
        Inside a container NUL follows a scalar, so "]<NUL>[" (or "}<NUL>{") is only ever a boundary."""
        opening, closing = ("{", "}") if type(column[0]) is dict else ("[", "]")
        inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
        sep = "," + inner
        parts = self._column.encode(column)[2:-2].split(closing + "\0" + opening)
        return [opening + inner + p.replace("\0", sep) + outer + closing for p in parts]

    def _table(self, rows: list[dict], depth: int) -> list[str]:
        """The texts of dicts with one key set, at `depth`."""
        keys = sorted(rows[0])
        columns = []
        for k in keys:
            column = [r[k] for r in rows]
            if all(type(v) in _SCALARS for v in column):
                columns.append(self._column.encode(column)[1:-1].split("\0"))
            elif _flat_column(column):
                columns.append(self._flat_cells(column, depth + 1))
            else:
                columns.append([self.text(v, depth + 1) for v in column])
        inner = ",\n" + "  " * (depth + 1)
        fields = inner.join(json.encoder.encode_basestring_ascii(k).replace("%", "%%") + ": %s" for k in keys)
        template = "{\n" + "  " * (depth + 1) + fields + "\n" + "  " * depth + "}"
        return [template % cells for cells in zip(*columns, strict=True)]


def load(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TwinsplitError(f"{out} is not a twinsplit output: no {MANIFEST}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise TwinsplitError(f"{path}: not valid JSON ({exc})") from None
    try:
        # strict: "4" is not a count and true is not 1; verify reads the data exactly as validated here.
        Manifest.model_validate(data, strict=True)
    except ValidationError as exc:  # name the first problem
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        raise TwinsplitError(f"{path}: does not match the manifest schema at {loc}: {msg}") from None
    return data


def tool_entry() -> dict[str, str]:
    return {"name": "twinsplit", "version": __version__, "generator": GENERATOR_REVISION}


def json_schema() -> dict:
    return Manifest.model_json_schema()
