"""One simulation: import a stage into Newton (CPU), drive its kinematic bodies along their USD time samples, step
it with XPBD, and record what each body did (the numbers verdict.py judges).

Kinematic bodies follow their samples each step: the pose at the step's end time is the kinematic target and its
finite difference the velocity, so a scripted person pushes what it walks into; a jump between samples (an event
body switching from parked to in place) is a teleport, not a velocity. Newton imports collisionEnabled at the
default time only, so the shapes of a kinematic body that is collidable at any time are made collidable and,
whenever its collisionEnabled is false, the body is sent far below the stage: the same "out of the way" that
twinsplit's parking gives (events.common.park). Joints outside any PhysicsArticulationRootAPI (boxes chained by
hinges, as Kamino's and many hand-made stages have them) stay maximal-coordinate constraints, which XPBD solves
as such: Newton's importer keeps them out of any articulation and its finalize() refuses that topology unless
asked not to check it, so a stage with such a joint is finalized without the articulation-membership check.
"""

from __future__ import annotations

import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .runtime import load
from .tracks import StageFacts, Track

ITERATIONS = 8  # XPBD solver iterations (4..8 keep the demo's stacks at rest)
JUMP_SPEED_M_S = 20.0  # a kinematic body faster than this between two steps is teleported (a parked <-> placed jump)
LIMBO_BELOW_M = 1000.0  # where a kinematic body with collision off waits: this far below the stage
CONTACT_MARGIN_M = 0.05  # bounding spheres this close count as a touch (who may have been pushed)
PROPAGATE_EVERY = 24  # steps between passes that spread "disturbed" from moved bodies to their neighbours


@dataclass
class Run:
    """What one simulation did, per loaded body (index order = `bodies`). Distances in stage units."""

    bodies: list[str]
    kinematic: np.ndarray  # bool
    mass: np.ndarray
    start: np.ndarray  # (n, 3) positions at the start
    final: np.ndarray  # (n, 3)
    max_displacement: np.ndarray
    max_speed: np.ndarray  # stage units per second
    finite: np.ndarray  # bool: never NaN/inf
    disturbed: np.ndarray  # bool: a kinematic body (or a body it moved) came within reach
    steps: int  # steps taken (fewer than asked when the state went non-finite)
    import_seconds: float
    sim_seconds: float


def _radius(stage, path: str) -> float:
    from pxr import UsdGeom

    box = UsdGeom.BBoxCache(0, [UsdGeom.Tokens.default_]).ComputeUntransformedBound(stage.GetPrimAtPath(path))
    r = box.ComputeAlignedRange()
    return 0.0 if r.IsEmpty() else float(np.linalg.norm(np.asarray(r.GetSize())) / 2)


def simulate(path: Path, stage, facts: StageFacts, seconds: float, hz: float) -> Run:
    with redirect_stdout(None):  # nothing an engine prints may reach the report on stdout
        return _simulate(path, stage, facts, seconds, hz)


def _simulate(path: Path, stage, facts: StageFacts, seconds: float, hz: float) -> Run:
    newton, wp = load()
    t_import = time.perf_counter()
    builder = newton.ModelBuilder()
    builder.add_usd(str(path), apply_up_axis_from_stage=True)
    bodies = [str(label) for label in builder.body_label]
    tracks = {i: Track(stage, p) for i, p in enumerate(bodies) if p in facts.kinematic}
    tracks = {i: tr for i, tr in tracks.items() if tr.animated()}
    for i, tr in tracks.items():
        times = [facts.start] + list(tr.enabled.GetTimeSamples() if tr.enabled else [])
        if any(tr.collides(t) for t in times):
            for s in builder.body_shapes[i]:
                builder.shape_flags[s] |= int(newton.ShapeFlags.COLLIDE_SHAPES)
    model = builder.finalize(device="cpu", skip_validation_joints=-1 in builder.joint_articulation)
    solver = newton.solvers.SolverXPBD(model, iterations=ITERATIONS)
    s0, s1, control = model.state(), model.state(), model.control()
    pipe = newton.CollisionPipeline(model)
    contacts = pipe.contacts()
    t_sim = time.perf_counter()
    n, dt, up = len(bodies), 1.0 / hz, facts.up
    q = s0.body_q.numpy()
    start = q[:, :3].copy()
    worst, fastest = np.zeros(n), np.zeros(n)
    finite = np.ones(n, dtype=bool)
    kin = np.array([p in facts.kinematic for p in bodies], dtype=bool)
    radius = np.array([facts.size.get(p, 0.0) / 2 for p in bodies])
    mover_r = {i: _radius(stage, bodies[i]) for i in tracks}
    disturbed = np.zeros(n, dtype=bool)
    margin, jump = CONTACT_MARGIN_M / facts.mpu, JUMP_SPEED_M_S / facts.mpu
    limbo = (facts.lowest if facts.lowest is not None else float(start[:, up].min(initial=0.0))) - \
        LIMBO_BELOW_M / facts.mpu
    steps = round(seconds * hz)
    done, active = 0, []
    for k in range(steps):
        if tracks:
            active = _drive(s0, tracks, facts.start + (k + 1) * dt * facts.tcps, dt, up, limbo, jump)
        s0.clear_forces()
        pipe.collide(s0, contacts)
        solver.step(s0, s1, control, contacts, dt)
        s0, s1 = s1, s0
        done = k + 1
        q, qd = s0.body_q.numpy(), s0.body_qd.numpy()
        ok = np.isfinite(q).all(axis=1) & np.isfinite(qd).all(axis=1)
        finite &= ok
        pos = q[:, :3]
        worst = np.fmax(worst, np.where(ok, np.linalg.norm(pos - start, axis=1), np.inf))
        fastest = np.fmax(fastest, np.where(ok, np.linalg.norm(qd[:, :3], axis=1), np.inf))
        for i in active:  # who a collidable mover reaches
            disturbed |= np.linalg.norm(pos - pos[i], axis=1) <= radius + mover_r[i] + margin
        if k % PROPAGATE_EVERY == PROPAGATE_EVERY - 1:
            _propagate(disturbed, pos, start, radius, margin)
        if not ok.all():
            break
    disturbed[kin] = False
    return Run(bodies, kin, model.body_mass.numpy().copy(), start, s0.body_q.numpy()[:, :3].copy(), worst, fastest,
               finite, disturbed, done, t_sim - t_import, time.perf_counter() - t_sim)


def _drive(state, tracks: dict[int, Track], t: float, dt: float, up: int, limbo: float, jump: float) -> list[int]:
    """Set each kinematic body to its pose at time code `t` (velocity: the finite difference; none for a jump).
    Returns the bodies collidable at `t`."""
    q, qd = state.body_q.numpy(), state.body_qd.numpy()
    active = []
    for i, tr in tracks.items():
        p, r = tr.pose(t)
        if tr.collides(t):
            active.append(i)
        else:
            p = p.copy()
            p[up] = limbo
        v = (p - q[i, :3]) / dt
        qd[i] = 0.0
        if np.linalg.norm(v) <= jump:
            qd[i, :3] = v
        q[i, :3], q[i, 3:] = p, r
    state.body_q.assign(q)
    state.body_qd.assign(qd)
    return active


def _propagate(disturbed: np.ndarray, pos: np.ndarray, start: np.ndarray, radius: np.ndarray, margin: float) -> None:
    """Bodies a disturbed body that has moved reaches are disturbed too (a person pushes a box into another)."""
    movers = np.flatnonzero(disturbed & (np.linalg.norm(pos - start, axis=1) > margin))
    if not len(movers):
        return
    from scipy.spatial import cKDTree

    tree = cKDTree(pos)
    reach = 2 * float(radius.max(initial=0.0)) + margin
    for i in movers:
        near = np.asarray(tree.query_ball_point(pos[i], reach), dtype=int)
        if len(near):
            close = np.linalg.norm(pos[near] - pos[i], axis=1) <= radius[near] + radius[i] + margin
            disturbed[near[close]] = True
