"""The base of every config model: unknown keys are errors, not warnings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for every config model: unknown keys are errors, not warnings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
