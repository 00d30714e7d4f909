"""Property: on random sites of stacks, bridges and shelves (random sizes, counts and gaps, some crates touching,
some bases sunk 1-4 mm), init's starter config is accepted by generate unchanged, verify passes, and the
independent check (pxr world boxes, numpy SAT, shapely supports) holds on every variant."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stages import FLOOR, Box, box_stage, bridge, shelf, stack
from test_layout_structures import check_set, init_generate_verify

CELL = 2.8  # metres between structure centres: each fits in its cell; moved, neighbours can meet
size = st.floats(0.25, 0.8)
sink = st.sampled_from([0.0, 0.0, 0.001, 0.002, 0.004])  # most stand on the floor, some are sunk into it


@st.composite
def a_stack(draw, at, name):
    """1-3 crates, each no larger than the one below and off its centre by less than half the difference."""
    sizes = [draw(size)]
    for _ in range(draw(st.integers(0, 2))):
        sizes.append(draw(st.floats(0.2, sizes[-1])))
    shift = draw(st.floats(0.0, 0.45)) * (min(sizes) - sizes[0]) if len(sizes) > 1 else 0.0
    boxes = stack(at, sizes, name, sink=draw(sink), shift=shift)  # shift <= 0: away from the side crate
    if draw(st.booleans()):  # a neighbour crate beside the bottom one, touching it or a few mm away
        s, gap = draw(size), draw(st.sampled_from([0.0, 0.0, 0.002, 0.05]))
        x = at[0] + sizes[0] / 2 + gap + s / 2
        boxes.append(Box(f"/World/{name}/Side", x, at[1], s / 2, s, s, s))
    return boxes, [[b.path for b in boxes if b.path.rsplit("/", 1)[-1].startswith("Crate")]]


@st.composite
def a_bridge(draw, at, name):
    static = draw(st.booleans())
    post = draw(st.floats(0.15, 0.4))
    boxes = bridge(at, name, static_posts=static, height=draw(st.floats(0.3, 1.5)), post=post,
                   span=post + draw(st.floats(0.3, 1.6)), slab=(draw(st.floats(0.3, 0.8)), draw(st.floats(0.05, 0.3))),
                   sink=draw(sink))
    return boxes, [] if static else [[b.path for b in boxes]]


@st.composite
def a_shelf(draw, at, name):
    low = draw(st.floats(0.3, 0.6))
    return shelf(at, name, boards=(low, low + draw(st.floats(0.5, 0.9))), width=draw(st.floats(1.4, 2.6)),
                 depth=draw(st.floats(0.4, 0.8)), items=draw(st.integers(1, 3)), item=draw(st.floats(0.1, 0.3))), []


@st.composite
def sites(draw):
    n = draw(st.integers(1, 6))
    boxes, groups = [FLOOR], []
    for i in range(n):
        at = (CELL * (i % 3 - 1), CELL * (i // 3 - 0.5))  # a 3 x 2 grid of cells
        kind = draw(st.sampled_from([a_stack, a_bridge, a_shelf]))
        b, g = draw(kind(at, f"S{i}"))
        boxes += b
        groups += g
    up, mpu = draw(st.sampled_from([("Z", 1.0), ("Y", 0.01)]))
    train = draw(st.integers(0, 2**32))
    return boxes, groups, up, mpu, (train, train + 1 + draw(st.integers(0, 1000)))


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(site=sites())
def test_random_sites_keep_every_promise(run_cli, site):
    boxes, groups, up, mpu, seeds = site
    with tempfile.TemporaryDirectory() as tmp:
        src = box_stage(Path(tmp) / "site.usda", boxes, up=up, mpu=mpu)
        out = init_generate_verify(Path(tmp), run_cli, src, n_train=3, n_holdout=2, seeds=seeds)
        moved = check_set(src, out, groups)
        assert any(moved), "no variant moved anything: the check proved nothing"
