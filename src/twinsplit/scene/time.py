"""The pose time: the one instant at which twinsplit reads where things are in a stage."""

from __future__ import annotations

from pxr import Usd


def pose_time(stage: Usd.Stage) -> Usd.TimeCode:
    """t = 0 of the simulation: the stage's start time code (0 when not authored).  Not Default: a prim whose
    transform is only time-sampled (animation in the source) has no default value and would be read at the
    origin.  Scene discovery, layout, events, verify and validate all read poses and shapes here."""
    return Usd.TimeCode(stage.GetStartTimeCode())
