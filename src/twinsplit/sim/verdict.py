"""Judge one simulation: each rule below is one claim about every body, reported as validate's Issues (so the
text, JSON, JUnit and GitHub renderers of `validate` print simcheck's results too).

Thresholds scale with each body's size (its box diagonal at the start) and are converted from metres to stage
units, so a 2 m bed and a 10 cm bin are judged alike.
"""

from __future__ import annotations

import numpy as np

from ..validate.engine import FileResult, Kind
from ..validate.issues import Issue, Severity
from .step import Run
from .tracks import StageFacts

AT_REST_M, AT_REST_OF_SIZE = 0.01, 0.02  # a resting body moves less than max(1 cm, 2 % of its size)
EXPLODE_SPEED_M_S, EXPLODE_SPEED_OF_SIZE = 15.0, 10.0  # faster than 15 m/s + 10 sizes per second: exploded
EXPLODE_DISPLACEMENT_M, EXPLODE_DISPLACEMENT_OF_SIZE = 5.0, 10.0  # farther than 5 m + 10 sizes: thrown away

RULES = {
    "sim-load": "Newton loads exactly the stage's active rigid bodies",
    "sim-mass": "every dynamic body has a finite mass > 0 in the engine",
    "sim-finite": "no body's pose or velocity becomes NaN or infinite",
    "sim-explosion": "no body moves faster or farther than its size allows",
    "sim-fall-through": "no body ends below the top of what it rested on, nor below the stage",
    "sim-at-rest": "bodies resting at the start, and not reached by a kinematic body, stay at rest",
}


def judge(file: str, kind: Kind, facts: StageFacts, run: Run, seconds: float) -> FileResult:
    issues: list[Issue] = []

    def issue(rule: str, message: str, at: str | None = None) -> None:
        issues.append(Issue(message, Severity.ERROR, rule, at, file))

    mpu = facts.mpu
    loaded = set(run.bodies)
    for p in sorted(set(facts.bodies) - loaded):
        issue("sim-load", f"{p} is an active rigid body of the stage but Newton did not load it", p)
    for p in sorted(loaded - set(facts.bodies)):
        issue("sim-load", f"Newton loaded {p}, which is not an active rigid body of the stage", p)
    dynamic = ~run.kinematic
    for i in np.flatnonzero(dynamic & ~(np.isfinite(run.mass) & (run.mass > 0))):
        issue("sim-mass", f"{run.bodies[i]} has mass {run.mass[i]:g} in Newton: a dynamic body without mass does "
                          "not move (or explodes in other engines)", run.bodies[i])
    for i in np.flatnonzero(~run.finite):
        issue("sim-finite", f"{run.bodies[i]}: its pose or velocity became NaN or infinite within "
                            f"{run.steps} steps", run.bodies[i])
    for i in np.flatnonzero(dynamic & run.finite):
        body = run.bodies[i]
        size = facts.size.get(body, 0.0) * mpu  # metres
        speed, moved = run.max_speed[i] * mpu, run.max_displacement[i] * mpu
        if speed > EXPLODE_SPEED_M_S + EXPLODE_SPEED_OF_SIZE * size or \
                moved > EXPLODE_DISPLACEMENT_M + EXPLODE_DISPLACEMENT_OF_SIZE * size:
            issue("sim-explosion", f"{body} exploded: {speed:.3g} m/s, {moved:.3g} m from its start "
                                   f"(size {size:.3g} m)", body)
            continue
        top, low = facts.support_top.get(body), facts.lowest
        bottom, head = facts.span.get(body, (0.0, 0.0))
        dz = float(run.final[i, facts.up] - run.start[i, facts.up])  # the body's rigid drop along up
        if low is not None and head + dz < low:
            issue("sim-fall-through", f"{body} fell out of the scene: it ended {(low - head - dz) * mpu:.3g} m "
                                      "below the stage's lowest point", body)
        elif top is not None and not run.disturbed[i] and bottom + dz < top - (head - bottom) / 2:
            issue("sim-fall-through", f"{body} fell through its support: its bottom ended "
                                      f"{(top - bottom - dz) * mpu:.3g} m below the top it rested on", body)
        elif top is not None and not run.disturbed[i] and moved > max(AT_REST_M, AT_REST_OF_SIZE * size):
            issue("sim-at-rest", f"{body} rested at the start but moved {moved * 100:.3g} cm in "
                                 f"{run.steps} steps", body)
    return FileResult(file, kind, tuple(issues), tuple((r, "ran") for r in RULES), seconds)
