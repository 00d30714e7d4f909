"""The config's `lineage:` block: who made a set, for what, on what terms, and the real-world captures its source
came from. Copied into the manifest (`lineage_entry`), mapped into croissant.json, read by `verify --purpose`.

Validated here so a typo is refused before anything is written: capture dates are ISO 8601, jurisdictions are
ISO 3166 codes, a retention is a duration or a date. Values are recorded as written (not normalized), so the
manifest says exactly what the config said.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from .base import Strict

# ISO 8601 durations as data-retention terms use them: P1Y6M, P90D, P2W, PT12H (at least one part).
_DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
# The plain-words form: "90 days", "1 year".
_WORDS = re.compile(r"^[1-9]\d* (day|week|month|year)s?$")
# ISO 3166-1 exceptionally reserves EU (the European Union): the jurisdiction of EU-wide law such as GDPR.
_RESERVED = {"EU"}


def _moment(text: str) -> dt.date | dt.datetime:
    """An ISO 8601 calendar date or date-time; ValueError otherwise."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date (YYYY-MM-DD) or date-time") from None


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def capture_interval(text: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a capture date: `2026-03-04`, a date-time, or an interval `START/END`."""
    parts = text.split("/")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"{text!r} is not an ISO 8601 date, date-time or START/END interval")
    start, end = (_moment(p) for p in (parts[0], parts[-1]))
    if _day(end) < _day(start):
        raise ValueError(f"capture interval {text!r} ends before it starts")
    return _day(start), _day(end)


def check_jurisdiction(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code (DE), an ISO 3166-2 subdivision code (US-CA) or EU."""
    import pycountry

    if code == code.upper():  # pycountry's look-ups ignore case; the recorded code must be the canonical one
        if code in _RESERVED or (len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None):
            return code
        if "-" in code and pycountry.subdivisions.get(code=code) is not None:
            return code
    hint = ""
    if code.upper() != code and (code.upper() in _RESERVED or pycountry.countries.get(alpha_2=code.upper())
                                 or pycountry.subdivisions.get(code=code.upper())):
        hint = f" (codes are upper case: {code.upper()!r})"
    elif len(code) == 3 and (country := pycountry.countries.get(alpha_3=code.upper())) is not None:
        hint = f" (that is alpha-3: use {country.alpha_2!r})"
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE), an ISO 3166-2 subdivision "
                     f"code (e.g. US-CA) or EU{hint}")


def check_retention(text: str) -> str:
    """'' (not stated), an ISO 8601 duration (P90D, P1Y6M), '<N> days|weeks|months|years', or a date to delete by."""
    if not text or _DURATION.match(text) or _WORDS.match(text):
        return text
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"retention {text!r} is not a duration (ISO 8601 like P90D or P1Y6M, or '90 days') or an "
                         "ISO 8601 date to delete by (YYYY-MM-DD)") from None
    return text


def _iso(v: Any) -> Any:
    """YAML reads an unquoted 2026-03-04 as a date: take it as the ISO 8601 text it was."""
    return v.isoformat() if isinstance(v, dt.date) else v


def _once(items: list[str], what: str) -> None:
    repeated = next((i for i in items if items.count(i) > 1), None)
    if repeated is not None:
        raise ValueError(f"{what} {repeated!r} is listed twice")


class CaptureRoot(Strict):
    """One real-world capture the source stage was built from (a scan, a survey, a photogrammetry session)."""

    capture_ids: list[str] = Field(default_factory=list,
                                   description="Ids of the capture sessions or scans (the capture team's). "
                                               "Default: none.")
    site: str = Field("", description="Where it was captured (site name or id). Default: empty.")
    capture_date: str = Field("", description="When: an ISO 8601 date (2026-03-04), date-time, or START/END "
                                              "interval. Default: empty.")
    jurisdiction: str = Field("", description="Whose law applies to the capture: ISO 3166-1 alpha-2 (DE), "
                                              "ISO 3166-2 (US-CA) or EU. Default: empty.")
    stage: str = Field("", description="The source stage (file name as given to generate) built from this capture. "
                                       "Default: empty (the SOURCE).")

    @field_validator("capture_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        if any(not i.strip() for i in v):
            raise ValueError("a capture id is empty")
        _once(v, "capture id")
        return v

    @field_validator("capture_date", mode="before")
    @classmethod
    def _yaml_date(cls, v: Any) -> Any:
        return _iso(v)

    @field_validator("capture_date")
    @classmethod
    def _date(cls, v: str) -> str:
        if v:
            capture_interval(v)
        return v

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str) -> str:
        return check_jurisdiction(v) if v else v


class Lineage(Strict):
    """Who made this set, for what and on what terms, and the captures its source came from; copied into the
    manifest."""

    purpose: str | list[str] = Field("", description="What the set is for: one purpose or a list. `verify --purpose "
                                                     "P` passes only when P is one of them, exactly (case-sensitive). "
                                                     "Default: empty (none declared).")
    owner: str = Field("", description="Who is responsible for it. Default: empty.")
    consent: str = Field("", description="Consent basis for any real-site data in the source. Default: empty.")
    retention: str = Field("", description="How long it may be kept: an ISO 8601 duration (P90D, P1Y6M), '<N> "
                                           "days|weeks|months|years', or an ISO 8601 date to delete by. "
                                           "Default: empty.")
    sources: list[CaptureRoot] | None = Field(None, description="The real-world captures the source stage was built "
                                                                "from. Default: none (not recorded).")

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, v: str | list[str]) -> str | list[str]:
        items = [v] if isinstance(v, str) else v
        if isinstance(v, list) and (not v or any(not p.strip() for p in v)):
            raise ValueError("a listed purpose is empty (omit purpose to declare none)")
        if isinstance(v, str) and v and not v.strip():
            raise ValueError("purpose is blank")
        _once(items, "purpose")
        return v

    @field_validator("retention", mode="before")
    @classmethod
    def _yaml_date(cls, v: Any) -> Any:
        return _iso(v)

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: str) -> str:
        return check_retention(v)

    @model_validator(mode="after")
    def _sources(self) -> "Lineage":
        if self.sources is not None and not self.sources:
            raise ValueError("sources is an empty list (omit it to record none)")
        return self


def lineage_entry(lineage: Lineage) -> dict[str, Any]:
    """The manifest's `lineage`: the block as JSON, without the parts left unset (`sources`), so a config that
    does not use them records what it always did."""
    return lineage.model_dump(mode="json", exclude_none=True)


def purposes(lineage: dict[str, Any]) -> list[str]:
    """The declared purposes of a manifest's `lineage` (empty: none declared)."""
    p = lineage.get("purpose", "")
    return [p] if isinstance(p, str) and p else list(p) if isinstance(p, list) else []


def check_stages(lineage: Lineage, stage_names: list[str]) -> None:
    """Every `sources[].stage` names one of the stages generate was given; ValueError naming the first that
    does not."""
    for i, root in enumerate(lineage.sources or []):
        if root.stage and root.stage not in stage_names:
            raise ValueError(f"lineage.sources.{i}.stage: {root.stage!r} is not a source stage of this run "
                             f"({', '.join(repr(n) for n in stage_names)})")


# generate's per-run flags -> the CaptureRoot field each sets
CAPTURE_FLAGS = {"capture_ids": "--capture-id", "site": "--site", "capture_date": "--capture-date",
                 "jurisdiction": "--jurisdiction"}


def with_overrides(lineage: Lineage, purpose: tuple[str, ...] = (), **capture: Any) -> Lineage:
    """`lineage` with generate's flags applied over it: `purpose` (one or more) replaces the declared purposes;
    the capture flags (CAPTURE_FLAGS' keys; None or () = not given) set those fields of the one capture root,
    made when the config has none. A config with several roots is ambiguous: set them there. Raises ValueError
    naming the flag."""
    from pydantic import ValidationError

    given = {k: v for k, v in capture.items() if v not in (None, ())}
    if unknown := set(given) - set(CAPTURE_FLAGS):
        raise TypeError(f"not a capture flag: {', '.join(sorted(unknown))}")
    data = lineage.model_dump(exclude_none=True)
    if purpose:
        data["purpose"] = purpose[0] if len(purpose) == 1 else list(purpose)
    if given:
        roots = data.get("sources") or [{}]
        if len(roots) > 1:
            raise ValueError(f"{', '.join(CAPTURE_FLAGS[k] for k in given)}: the config's lineage.sources lists "
                             f"{len(roots)} captures, so which one the flag sets is ambiguous: set it in the config")
        data["sources"] = [roots[0] | {k: list(v) if k == "capture_ids" else v for k, v in given.items()}]
    try:
        return Lineage.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        flags = {"purpose": "--purpose", **CAPTURE_FLAGS}
        flag = next((flags[k] for k in first["loc"] if k in flags), "lineage")
        raise ValueError(f"{flag}: {first['msg'].removeprefix('Value error, ')}") from None
