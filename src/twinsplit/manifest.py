"""manifest.json: everything needed to re-derive and re-check a generated set. Schema: schemas/manifest.schema.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pxr import Usd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import GENERATOR_REVISION, __version__
from .errors import TwinsplitError
from .plan.draw import Plan
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
    parameters: list[dict[str, Any]]
    variants: list[VariantEntry]
    disjointness: dict[str, Any]
    distance: dict[str, Any]
    lineage: dict[str, str]
    seal: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Manifest":
        seen: set[str] = set()
        for v in self.variants:
            if v.id in seen:
                raise ValueError(f"variant id {v.id} is listed twice")
            seen.add(v.id)
        return self


def usd_version() -> str:
    return ".".join(str(v) for v in Usd.GetVersion())


def parameters_entry(plan: Plan) -> list[dict[str, Any]]:
    out = []
    for p in plan.params:
        out.append({
            "name": p.name, "source": p.source, "key": p.key, "prim": p.prim, "attr": p.attr,
            "component": p.component, "type": p.type_name,
            "distribution": p.dist.distribution, "operation": p.dist.operation,
            "ranges": {s: p.resolved(s).model_dump(mode="json") for s in ("train", "holdout")},
            "normalize": list(p.normalize_range),
        })
    return out


def source_entry(copy: SourceCopy, source: Path, scene) -> dict[str, Any]:
    from .hashing import sha256_file

    return {
        "name": source.name,
        "sha256": sha256_file(source),
        "root": f"source/{copy.root}",
        "files": [{"path": f"source/{rel}", "sha256": sha} for rel, sha in copy.files],
        "unresolved": list(copy.unresolved),
        "localized": copy.localized,
        "meters_per_unit": scene.meters_per_unit,
        "up_axis": scene.up_axis,
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


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
