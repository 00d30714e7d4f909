"""The `randomize.layout` block's config model."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from ...base import Strict
from ...blocks.distributions import Dist
from ...scene.selectors import Selector

KINDS = ("body",)


class BoxCfg(Strict):
    """An axis-aligned box in world metres (only its horizontal extent is used)."""

    min: tuple[float, float, float] = Field(description="Lower corner (x, y, z) in metres.")
    max: tuple[float, float, float] = Field(description="Upper corner (x, y, z) in metres.")

    @model_validator(mode="after")
    def _check(self) -> "BoxCfg":
        if not all(a < b for a, b in zip(self.min, self.max, strict=True)):
            raise ValueError(f"bounds: min {list(self.min)} must be below max {list(self.max)} on every axis")
        return self


class SplitRefs(Strict):
    """Keep-out regions per split."""

    train: list[str] = Field(default_factory=list, description="Regions kept clear in train variants. Default: none.")
    holdout: list[str] = Field(default_factory=list,
                               description="Regions kept clear in holdout variants. Default: none.")


def _selector_shorthand(v: Any) -> Any:
    """A swap group given as a string or a list of strings: `/...` are path globs, anything else labels."""
    if isinstance(v, str):
        v = [v]
    if isinstance(v, list):
        return {"paths": [s for s in v if str(s).startswith("/")],
                "labels": [s for s in v if not str(s).startswith("/")]}
    return v


class LayoutCfg(Strict):
    """Rearrange rigid bodies (planar offset, yaw, removal, swaps) without interpenetration at t = 0."""

    match: Selector = Field(default_factory=Selector,
                            description="Which bodies move. Default: every non-kinematic rigid body.")
    offset: Dist | None = Field(None, description="Planar offset in metres, drawn per horizontal axis. Default: no "
                                                  "offset.")
    yaw: Dist | None = Field(None, description="Turn about the up axis in degrees. Default: no turn.")
    remove_probability: float = Field(0.0, ge=0.0, le=1.0,
                                      description="Chance a unit is removed (`active = false`). Default: 0.")
    swap: list[Selector] = Field(default_factory=list,
                                 description="Groups of interchangeable bodies (selector, label or path glob); a "
                                             "variant permutes positions within each group. Default: none.")
    bounds: str | BoxCfg | None = Field(None, description="One region (prim path, path glob or kind) or a {min, max} "
                                                          "box in world metres that bodies must stay inside. Default: "
                                                          "the stage bounds; none when a Plane collider (an infinite "
                                                          "ground) is present.")
    keep_out: list[str] | SplitRefs = Field(default_factory=list,
                                            description="Regions (prim paths, path globs or kinds) that must stay "
                                                        "clear; or {train: [...], holdout: [...]}. Default: none.")
    max_tries: int = Field(50, ge=1, le=100000,
                           description="Candidate poses per unit before it stays where it was. Default: 50.")

    @field_validator("swap", mode="before")
    @classmethod
    def _swap(cls, v: Any) -> Any:
        return [_selector_shorthand(g) for g in v] if isinstance(v, list) else v

    @field_validator("offset", "yaw")
    @classmethod
    def _abs(cls, v: Dist | None) -> Dist | None:
        if v is not None and v.operation != "abs":
            raise ValueError("is a displacement drawn as is: operation must be abs")
        return v

    def keep_out_for(self, split: str) -> list[str]:
        return list(self.keep_out) if isinstance(self.keep_out, list) else list(getattr(self.keep_out, split))
