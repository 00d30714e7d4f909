"""Newton as an independent reviewer of layout: a moved bridge and moved stacks, stepped for one second on the
CPU (XPBD, 240 Hz), stay at rest and settle no more than the source does; a bridge whose slab is pushed past a
post (the control) does not.

Needs the `sim` extra (`pip install -e '.[dev,sim]'`, which `make` does); skips with its reason without it. The
first run compiles Warp's kernels (~1 min on CPU), later runs use Warp's kernel cache. One test, so one
process compiles them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pxr import Gf, Usd, UsdGeom

from stages import FLOOR, box_stage, bridge, stack
from test_layout_structures import World, check_variant, init_generate_verify

try:
    import newton
    import warp as wp
except Exception as exc:  # any failure to import (not only ImportError) means: no simulator here
    pytest.skip(f"newton is not importable ({type(exc).__name__}: {exc}); install the sim extra: "
                "pip install -e '.[dev,sim]'", allow_module_level=True)

AT_REST_M = 0.01  # a body at rest moves less than 1 cm in one second
STEPS, DT = 240, 1.0 / 240


def max_displacement(path: Path) -> np.ndarray:
    """Each body's largest distance from its start over one second of simulation (metres: the stages are)."""
    wp.config.quiet = True
    b = newton.ModelBuilder()
    b.add_usd(str(path), apply_up_axis_from_stage=True)
    model = b.finalize(device="cpu")
    solver = newton.solvers.SolverXPBD(model, iterations=8)
    s0, s1 = model.state(), model.state()
    control = model.control()
    pipe = newton.CollisionPipeline(model)
    contacts = pipe.contacts()
    start = s0.body_q.numpy()[:, :3].copy()
    worst = np.zeros(len(start))
    for _ in range(STEPS):
        s0.clear_forces()
        pipe.collide(s0, contacts)
        solver.step(s0, s1, control, contacts, DT)
        s0, s1 = s1, s0
        worst = np.fmax(worst, np.linalg.norm(s0.body_q.numpy()[:, :3] - start, axis=1))
        if np.isnan(s0.body_q.numpy()).any():
            worst[:] = np.nan
            break
    return worst


def moved_variant(tmp_path: Path, run_cli, src: Path) -> Path:
    """init -> generate -> verify, and a variant in which layout moved every body (checked independently)."""
    out = init_generate_verify(tmp_path, run_cli, src, n_train=2, n_holdout=1)
    source = World.open(src)
    for v in sorted((out / "train").glob("*.usdc")):
        if check_variant(source, World.open(v), []) == set(source.matrices):
            return v
    raise AssertionError(f"no variant of {src.name} moved every body")


@pytest.mark.slow
def test_moved_bridge_and_stacks_stay_at_rest_in_newton(tmp_path, run_cli):
    bridge_src = box_stage(tmp_path / "bridge.usda", [FLOOR] + bridge())
    stacks_src = box_stage(tmp_path / "stacks.usda", [FLOOR] + stack((-1, 0), [0.6, 0.5], "S0")
                           + stack((1, 0), [0.6, 0.5, 0.4], "S1"))
    bridge_v, stacks_v = moved_variant(tmp_path, run_cli, bridge_src), moved_variant(tmp_path, run_cli, stacks_src)
    for src, v, bodies in ((bridge_src, bridge_v, 3), (stacks_src, stacks_v, 5)):
        worst = max_displacement(v)
        assert len(worst) == bodies and not np.isnan(worst).any(), f"{v.name}: {worst}"
        assert worst.max() < AT_REST_M, f"{v.name}: a body moved {worst.max() * 100:.2f} cm in one second"
        # and it settles no more than the source does (contacts settle by a fraction of a millimetre)
        assert worst.max() < max_displacement(src).max() + 1e-3
    # the control: the same variant with the slab pushed 1 m along x, its centre past a post, falls
    stage = Usd.Stage.Open(str(bridge_v))
    op = UsdGeom.Xformable(stage.GetPrimAtPath("/World/Bridge/Slab")).GetOrderedXformOps()[0]
    op.Set(op.Get() + Gf.Vec3d(1.0, 0, 0))
    control = bridge_v.with_name("control.usda")
    stage.GetRootLayer().Export(str(control))
    assert max_displacement(control).max() > 5 * AT_REST_M
