"""The run configuration: YAML validated by pydantic v2. `twinsplit schema config` prints its JSON Schema."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import Field, PrivateAttr, ValidationError, create_model, field_validator, model_validator

from .base import Strict
from .blocks.registry import EVENTS, RANDOMIZERS
from .errors import InputError, TwinsplitError
from .lineage import Lineage


class Seeds(Strict):
    """Root entropy per split. Missing entropy comes from the OS and is recorded in the manifest."""

    train: int | None = Field(None, ge=0, description="Train split root entropy. Default: drawn from the OS.")
    holdout: int | None = Field(None, ge=0, description="Holdout split root entropy. Default: drawn from the OS.")


class Splits(Strict):
    """How the splits are kept apart."""

    mode: Literal["iid", "ood"] = Field("iid", description="iid: same ranges unless overridden; ood: holdout-only "
                                                           "regions (see holdout_regions). Default: iid.")
    min_margin: float = Field(0.02, ge=0.0, lt=1.0,
                              description="No holdout vector within this normalized distance of any train vector. "
                                          "Default: 0.02.")
    metric: Literal["linf", "l2"] = Field("linf",
                                          description="Distance for min_margin over parameters normalized to [0, 1]. "
                                                      "Default: linf.")
    max_redraws: int = Field(100, ge=0, le=100000,
                             description="Redraws per variant before giving up with an error. Default: 100.")
    holdout_regions: list[HoldoutRegion] = Field(default_factory=list,
                                                 description="ood: boxes of parameter space only the holdout may "
                                                             "enter; every holdout variant lies in one. Default: none.")
    stakes: Literal["low", "medium", "high"] | None = Field(
        None, description="The minimum independence the set must show (docs/proof.md#stakes-profiles): low = "
                          "independent seeds + margin; medium = + ood regions or a holdout-only block, and --sign; "
                          "high = + --holdout-source, --seal and min_margin >= 0.05. Default: none (no profile).")
    max_shared_fraction: float | None = Field(
        None, ge=0.0, le=1.0, description="With --holdout-source: verify fails when more than this fraction of the "
                                          "holdout source's composed prims are identical to the source's. "
                                          "Default: 0.9.")

    @model_validator(mode="after")
    def _ood_needs_regions(self) -> "Splits":
        if self.holdout_regions and self.mode != "ood":
            raise ValueError("holdout_regions are only used with mode: ood")
        return self


def _registry_model(name: str, registry: dict, doc: str) -> type:
    """A config section with one optional field per registry entry; a single block is accepted as a list."""
    fields = {key: (list[entry.config_model] | None,
                    Field(None, description=f"{(entry.config_model.__doc__ or '').strip()} One block or a list. "
                                            "Default: off."))
              for key, entry in registry.items()}
    validators = {}
    if fields:
        @field_validator(*fields, mode="before")
        def _listify(cls, v):
            return [v] if isinstance(v, dict) else v

        validators["listify"] = _listify
    return create_model(name, __base__=Strict, __module__=__name__, __doc__=doc, __validators__=validators, **fields)


class ConfigBase(Strict):
    """The sections every config has; `config_model()` adds `randomize:` and `events:` from the registries."""

    version: Literal[1] = Field(1, description="Config format version. Default: 1.")
    seeds: Seeds = Field(default_factory=Seeds, description="Root entropy per split. Default: from the OS.")
    splits: Splits = Field(default_factory=Splits, description="Split separation settings. Default: iid, margin 0.02.")
    lineage: Lineage = Field(default_factory=Lineage,
                             description="Lineage block copied into the manifest. Default: empty.")
    incidents: list[Incident] | None = Field(
        None, description="Field incidents the holdout is anchored to: each adds holdout variants drawn around its "
                          "observed values, and train is kept out of its neighbourhood (docs/config.md#incidents). "
                          "Default: none.")
    reference: str | None = Field(None, description="CSV `parameter,value` of real measurements (parameters by "
                                                    "manifest name or config key), relative to the config file: "
                                                    "copied into OUT/reference/, distances of both splits to it in "
                                                    "the manifest, and the source of `distribution: empirical`. "
                                                    "In a manifest: the copy's path inside OUT. Default: none.")
    # Where `reference` resolves (the config file's directory; OUT for a recorded config) and the measurements once
    # read (plan/reference.py): not part of the config body.
    _base: Path | None = PrivateAttr(None)
    _measurements: dict | None = PrivateAttr(None)
    _reference_bytes: bytes | None = PrivateAttr(None)  # generate: the file as read, copied into OUT

    if TYPE_CHECKING:  # added by config_model(); declared here for type checkers only
        randomize: Any
        events: Any


if TYPE_CHECKING:
    Config = ConfigBase  # what annotations name; at run time `Config` is the model config_model() builds


# The built models, keyed by the registered kinds: rebuilt when a kind is registered at run time.
_BUILT: dict[tuple, dict[str, type]] = {}


def _models() -> dict[str, type]:
    """Config, Randomize and Events for the registries as they are now (loading their entry points first)."""
    key = (tuple(RANDOMIZERS.load().items()), tuple(EVENTS.load().items()))
    if key not in _BUILT:
        randomize = _registry_model("Randomize", RANDOMIZERS,
                                    "Randomizers to run, by name. Each takes one block or a list of blocks.")
        events = _registry_model("Events", EVENTS,
                                 "Scripted events to add, by kind. Each takes one block or a list of blocks.")
        config = create_model(
            "Config", __base__=ConfigBase, __module__=__name__,
            __doc__="A twinsplit run: what to randomize, how splits are kept apart, and the lineage to record.",
            randomize=(randomize, Field(default_factory=randomize, description="Randomizers. Default: none.")),
            events=(events, Field(default_factory=events, description="Scripted events. Default: none.")))
        _BUILT.clear()
        _BUILT[key] = {"Config": config, "Randomize": randomize, "Events": events}
    return _BUILT[key]


def config_model() -> type[Config]:
    """The Config model for the kinds registered now: construct it (`config_model()()`) or validate with it."""
    return _models()["Config"]


def __getattr__(name: str) -> type:
    # `twinsplit.config.Config` (and its sections) resolve to the built models, so pickling a config for a
    # worker process finds its class by name.
    if name in ("Config", "Randomize", "Events"):
        return _models()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _location(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after[_check()]",)) or "(top level)"


def parse_config(data: Any, origin: str) -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TwinsplitError(f"config {origin}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return config_model().model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise TwinsplitError(f"config {origin}: {_location(first['loc'])}: {msg}{more}") from None


def load_config(path: str | Path) -> Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read config {p}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date-like scalar that is no date (2027-02-30)
        raise InputError(f"cannot parse config {p}: {' '.join(str(exc).split())}") from None
    config = parse_config(data, p.name)
    config._base = p.parent
    return config


def config_body(config: Config) -> dict:
    """The canonical, JSON-able form recorded in the manifest (and re-validated by verify)."""
    return config.model_dump(mode="json", exclude_none=True)


def canonical_json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def config_sha256(config: Config) -> str:
    return hashlib.sha256(canonical_json(config_body(config))).hexdigest()


def json_schema() -> dict:
    return config_model().model_json_schema()


class Interval(Strict):
    """A closed interval of a parameter's drawn value (before scale/add is applied)."""

    low: float = Field(description="Lower end (inclusive). Required.")
    high: float = Field(description="Upper end (inclusive). Required.")

    @model_validator(mode="after")
    def _check(self) -> "Interval":
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"interval ends must be finite, got [{self.low}, {self.high}]")
        if not self.low < self.high:
            raise ValueError(f"interval low ({self.low}) must be less than high ({self.high})")
        return self


class HoldoutRegion(Strict):
    """A box of parameter space only the holdout may enter."""

    name: str = Field(description="Name shown in the manifest and the report. Required.")
    params: dict[str, Interval] = Field(description="Parameter key (e.g. static_friction) or name glob (e.g. "
                                                    "/World/**.physics:staticFriction) -> interval. Required.")

    @model_validator(mode="after")
    def _check(self) -> "HoldoutRegion":
        if not self.params:
            raise ValueError(f"holdout region {self.name!r} names no parameter")
        return self


class Incident(Strict):
    """A real field incident the holdout is anchored to: holdout variants drawn around its observed values."""

    id: str = Field(min_length=1, description="Incident id, e.g. INC-2026-0142; tags its variants. Required.")
    description: str = Field("", description="What happened. Default: empty.")
    source: str = Field("", description="Where it is recorded: free text or a URL. Default: empty.")
    event: str = Field(description="An event kind configured under events: (e.g. person_enters_corridor). "
                                   "Required.")
    observed: dict[str, float] = Field(description="That event's parameters as observed, by manifest name or key "
                                                   "(e.g. speed: 1.6). Required.")
    spread: float = Field(0.05, gt=0.0, le=1.0, description="Holdout draws lie within observed +- spread x the "
                                                             "parameter's configured range. Default: 0.05.")
    holdout_variants: int = Field(4, ge=1, le=10000, description="Holdout variants drawn around it. Default: 4.")

    @model_validator(mode="after")
    def _check(self) -> "Incident":
        if not self.observed:
            raise ValueError(f"incident {self.id!r} observes no parameter")
        for k, v in self.observed.items():
            if not math.isfinite(v):
                raise ValueError(f"incident {self.id!r}: observed {k} must be finite, got {v}")
        return self
