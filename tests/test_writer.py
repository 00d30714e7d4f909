"""The variant writer: its direct usda text and fast values json are byte for byte what Sdf and json.dumps write.

write/usda_text.py writes a layer's text without Sdf and write/values_json.py the values record without json's
indenting encoder. Every rule they follow (property order, blank lines, number formats, quoting) is checked here
against the real thing: `build_layer(...).ExportToString()` and `json.dumps(indent=1, sort_keys=True)`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from twinsplit.blocks.data import Columns, Edit, PrimDef, expand
from twinsplit.write import values_json
from twinsplit.write.layer import build_layer, render, values_bytes, values_record
from twinsplit.write.usda_runs import Run
from twinsplit.write.usda_text import ARRAYS, NUMERIC, _tree, layer_text

ROOT = Path(__file__).resolve().parents[1]
SUB = "../source/scene.usda"
METADATA = {"defaultPrim": "World", "upAxis": "Z", "metersPerUnit": 1.0, "startTimeCode": 0.0,
            "customLayerData": {"cameraSettings": {"boundCamera": "/OmniverseKit_Persp"}, "n": 3}}
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sdf_text(edits: list[Edit], metadata: dict = METADATA) -> str:
    return build_layer(edits, SUB, metadata).ExportToString()


def direct_text(edits: list[Edit], metadata: dict = METADATA) -> str | None:
    return layer_text(edits, build_layer([], SUB, metadata).ExportToString())


def json_text(record: dict) -> str:
    return json.dumps(record, indent=1, sort_keys=True, allow_nan=False)


# ----------------------------------------------------------------------------------------------- strategies
NAMES = st.one_of(st.sampled_from(["World", "Boxes", "Box_0001", "Box_10", "Box_9", "a", "A", "_x", "over", "def",
                                   "B2", "b10", "b9", "b09", "xformOp", "physics", "custom", "uniform"]),
                  st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True))
PRIM_PATHS = st.lists(NAMES, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
ATTRS = st.one_of(st.sampled_from(["xformOp:translate", "xformOp:orient", "xformOp:transform", "xformOpOrder",
                                   "physics:staticFriction", "inputs:intensity", "inputs:color", "a", "A", "a10",
                                   "a9", "a:b", "a_b", "aB", "Box_9", "visibility", "uniform", "custom"]),
                  st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True), min_size=1, max_size=3)
                  .map(":".join))
# Doubles of every magnitude (tiny, huge, integral, negative zero) and float32/half values as the blocks quantize.
DOUBLES = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                    st.floats(-1e6, 1e6, allow_nan=False), st.integers(-10**6, 10**6).map(float),
                    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.1, 1e-4, 1e-5, 1e-6, 1e-7, 1e14, 1e15, 1e16, 1e21,
                                     2.0**-20, 5e-324, 1.7976931348623157e308, 123456789012345678.0]))
FLOAT32 = st.one_of(st.floats(width=32, allow_nan=False, allow_infinity=False), DOUBLES.filter(
    lambda v: abs(v) < 1e38)).map(lambda v: float(np.float32(v)))
HALF = st.one_of(st.floats(width=16, allow_nan=False, allow_infinity=False),
                 st.floats(-60000, 60000, allow_nan=False)).map(float)
NUMBERS = {np.float64: DOUBLES, np.float32: FLOAT32, np.float16: HALF}
TEXT = st.from_regex(r"[ !#-\[\]-~]{0,12}", fullmatch=True)  # printable ASCII but `"` and `\`


def _value(type_name: str):
    if type_name in ARRAYS:  # Sdf takes only floats in arrays (a tuple of ints converts to no array type)
        dtype, width = NUMERIC[type_name[:-2]]
        return st.lists(st.tuples(*[NUMBERS[dtype]] * width), max_size=4).map(tuple)
    if type_name in NUMERIC:
        dtype, width = NUMERIC[type_name]
        numbers = st.one_of(NUMBERS[dtype], st.integers(-1000, 1000))  # ints: Sdf converts them as well
        if width == 0:
            return numbers
        if width == 16:
            return st.tuples(*[st.tuples(*[numbers] * 4)] * 4)
        return st.tuples(*[numbers] * width)
    return {"bool": st.booleans(), "int": st.integers(-2**31, 2**31 - 1), "token": TEXT, "string": TEXT,
            "token[]": st.lists(TEXT, max_size=4).map(tuple)}[type_name]


TYPES = sorted(NUMERIC) + sorted(ARRAYS) + ["bool", "int", "token", "string", "token[]"]
TIMES = st.one_of(DOUBLES, st.integers(-100, 10**6))


@st.composite
def attribute_edit(draw, path=PRIM_PATHS):
    """An attribute default, time samples (with or without a default), a bare declaration or a relationship."""
    common = {"path": draw(path), "attr": draw(ATTRS), "custom": draw(st.booleans())}
    if draw(st.integers(0, 9)) == 0:
        targets = draw(st.lists(PRIM_PATHS, min_size=1, max_size=3, unique=True))
        return Edit(**common, type_name="rel", value=tuple(targets))
    type_name = draw(st.sampled_from(TYPES))
    value = draw(_value(type_name))
    samples = None
    if draw(st.integers(0, 3)) == 0:
        times = draw(st.lists(TIMES, max_size=4, unique_by=float))
        samples = tuple((t, draw(_value(type_name))) for t in times)
        value = draw(st.sampled_from([None, value]))
    return Edit(**common, type_name=type_name, value=value, time_samples=samples,
                variability_uniform=draw(st.booleans()))


PRIM_DEFS = st.builds(PrimDef, st.sampled_from(["Xform", "Cube", "Capsule", "Material", "SphereLight", "Scope"]),
                      st.lists(st.sampled_from(["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI",
                                                "MaterialBindingAPI", "SemanticsLabelsAPI:class"]),
                               max_size=3, unique=True).map(tuple),
                      st.sampled_from(["", "component", "group"]))


@st.composite
def edit_lists(draw):
    """Edits of the kinds usda_text writes; prims share ancestors, an attribute once per prim (as Sdf needs)."""
    paths = draw(st.lists(PRIM_PATHS, min_size=1, max_size=6))
    edits = draw(st.lists(st.one_of(attribute_edit(st.sampled_from(paths)),
                                    st.builds(Edit, path=st.sampled_from(paths), attr=st.just("active"),
                                              type_name=st.just("bool"), value=st.booleans()),
                                    st.builds(Edit, path=st.sampled_from(paths), prim_def=PRIM_DEFS),
                                    st.builds(Edit, path=PRIM_PATHS)),
                          max_size=25))
    return once_per_attribute(edits)


def once_per_attribute(items: list) -> list:
    """The items (Edits, Columns) that author no attribute of a prim an earlier item authors (Sdf takes one value
    per attribute; `active` and new prims may repeat)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        keys = {(e.path, e.attr) for e in expand([item]) if e.attr not in (None, "active")}
        if not seen.intersection(keys):
            seen.update(keys)
            out.append(item)
    return out


# ----------------------------------------------------------------------------------------------- usda text
@SETTINGS
@given(edit_lists())
def test_direct_text_is_sdfs_export(edits):
    text = direct_text(edits)
    assert text is not None, "an edit of a handled kind fell back to Sdf"
    assert text == sdf_text(edits)
    assert render(edits, SUB, METADATA) == text.encode()


@SETTINGS
@given(st.lists(st.tuples(PRIM_PATHS, st.tuples(DOUBLES, DOUBLES, DOUBLES), st.tuples(*[FLOAT32] * 4)),
                min_size=1, max_size=40))
def test_layout_edits_are_sdfs_export(bodies):
    """The layout case: translate (double3) and orient (quatf) on nested over prims."""
    edits = [e for path, t, q in bodies for e in (Edit(path, "xformOp:translate", "double3", t),
                                                  Edit(path, "xformOp:orient", "quatf", q))]
    edits = list({e.key: e for e in edits}.values())
    assert direct_text(edits) == sdf_text(edits)


@pytest.mark.parametrize("metadata", [{}, METADATA])
def test_header_and_empty_layer(metadata):
    assert direct_text([], metadata) == sdf_text([], metadata)
    edits = [Edit("/World/A/B", "size", "double", 2.0), Edit("/World/A", "active", "bool", False),
             Edit("/Other"), Edit("/World/A/C", "x", "int", 1), Edit("/World/A", "y", "token", "t")]
    assert direct_text(edits, metadata) == sdf_text(edits, metadata)


HALF_DOUBLE_ROUNDING = 1 + 2**-11 + 2**-30  # rounds differently double -> half than double -> float -> half


@pytest.mark.parametrize("edit", [
    Edit("/A", "x", "half", HALF_DOUBLE_ROUNDING),
    Edit("/A", "x", "half3", (HALF_DOUBLE_ROUNDING, 0.1, 65504.0)),
    Edit("/A", "x", "float", 3.4028234663852886e38),
    Edit("/A", "x", "double", 1e-320),
    Edit("/A", "x", "matrix4d", ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (1e-7, -0.0, 1e21, 1))),
    Edit("/A", "x", "string", "it's"),
    Edit("/A", "x", "token[]", ()),
    Edit("/A", "x", "double", None),
    Edit("/A", "x", "float3[]", ((-0.5, -0.5, -0.5), (0.5, 0.5, 0.5))),
    Edit("/A", "x", "double", time_samples=((-0.0, 1.0), (1e21, 2.0))),
    Edit("/A", "visibility", "token", time_samples=((0.0, "invisible"), (10.0, "inherited"))),
    Edit("/A", "material:binding:physics", "rel", ("/World/M",)),
    Edit("/World/E", prim_def=PrimDef("Cube", ("PhysicsRigidBodyAPI", "SemanticsLabelsAPI:class"), "component")),
])
def test_edge_values(edit):
    assert direct_text([edit]) == sdf_text([edit])


@pytest.mark.parametrize("edit", [
    Edit("/A", "x", "double", math.nan),
    Edit("/A", "x", "double", 1.0, time_samples=((math.nan, 1.0),)),
    Edit("/A", "x", "double", time_samples=((1.0, 1.0), (1, 2.0))),
    Edit("/A", "r", "rel", ("World/M",)),
    Edit("/A", "r", "rel", ()),
    Edit("/A", "r", "rel", ("/World/M", "/World/M")),
    Edit("/A", "x", "double[]", (0.0, 1.0)),
    Edit("/A", "x", "float3[]", ((0, 1, 2),)),
    Edit("/A", prim_def=PrimDef("Cube", ("Bad API",))),
    Edit("/A", "x", "double3", (1.0, math.inf, 0.0)),
    Edit("/A", "x", "float", 1e39),
    Edit("/A", "x", "string", 'say "hi"'),
    Edit("/A", "x", "string", "line\nbreak"),
    Edit("/A", "x", "token", "caf\u00e9"),
    Edit("/A", "x", "double3", [1.0, 2.0, 3.0]),
    Edit("/A", "x", "double3", (1.0, 2.0)),
    Edit("/A", "x", "quatf[]", ((1.0, 0.0, 0.0, 0.0),)),
    Edit("/A", "x", "int", 2**31),
    Edit("/A", "x", "bool", 1),
    Edit("/A", "active", "bool", 0),
    Edit("A", "x", "int", 1),  # a relative path: Sdf makes it absolute
    Edit("", "x", "int", 1),
    Edit(""),
])
def test_unhandled_edits_go_through_sdf(edit):
    """Kinds and values the direct writer has not verified: render authors the layer through Sdf instead."""
    assert direct_text([Edit("/World/Other", "x", "int", 1), edit]) is None
    try:
        expected = sdf_text([edit]).encode()
    except Exception as exc:  # Sdf refuses it: render must refuse it the same way
        with pytest.raises(type(exc)):
            render([edit], SUB, METADATA)
    else:
        assert render([edit], SUB, METADATA) == expected


@pytest.mark.parametrize("edits", [
    [Edit("/A", "x", "int", 1), Edit("/A", "x", "int", 2)],
    [Edit("/A", "x", "int", 1), Edit("/A", "y", "int", 1), Edit("/A", "x", "float", 2.0)],
    [Edit("/A/b c", "x", "int", 1)],
    [Edit("/A", "x.y", "int", 1)],
])
def test_edits_sdf_refuses_are_refused(edits):
    """Twice the same attribute, invalid names: the direct writer declines, and render raises as Sdf does."""
    assert direct_text(edits) is None
    with pytest.raises(Exception) as sdf_error:
        sdf_text(edits)
    with pytest.raises(sdf_error.type):
        render(edits, SUB, METADATA)


# ----------------------------------------------------------------------------------------------- values json
JSON_SCALARS = st.one_of(DOUBLES, FLOAT32, st.integers(), st.booleans(), st.none(), st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.lists(inner, max_size=5).map(tuple),
    st.dictionaries(st.text(max_size=6), inner, max_size=4)), max_leaves=20)
FLOAT_SHAPES = st.one_of(DOUBLES, FLOAT32, st.lists(st.one_of(DOUBLES, FLOAT32), min_size=1, max_size=5).map(tuple),
                         st.lists(st.lists(DOUBLES, min_size=1, max_size=4), min_size=1, max_size=4))


@SETTINGS
@given(st.dictionaries(st.text(max_size=20), JSON_VALUES, max_size=12))
def test_values_json_is_json_dumps(record):
    assert values_json.dumps(record) == json_text(record)


@SETTINGS
@given(st.dictionaries(st.from_regex(r"/[A-Za-z_][A-Za-z0-9_/]{0,12}\.[a-z:A-Z]{1,10}", fullmatch=True),
                       FLOAT_SHAPES, min_size=1, max_size=30))
@example({"/a.x": [1e-5, 1e-7, 1e15, 1e16, 1e21, 2e-4, 1e14, 0.0, -0.0, 5e-324, 1.7976931348623157e308, 3.0]})
def test_float_records_take_the_fast_path(record):
    """Records of floats, float lists and float rows (what variants record) are printed by Vt, not repr."""
    assert values_json._dumps(record) == json_text(record)


@pytest.mark.parametrize("value", [math.nan, [1.0, math.inf], {"a": -math.inf}])
def test_values_json_refuses_non_finite_like_json(value):
    with pytest.raises(ValueError):
        json_text({"k": value})
    with pytest.raises(ValueError):
        values_json.dumps({"k": value})


@SETTINGS
@given(edit_lists())
def test_values_bytes_is_json_of_the_record(edits):
    assert values_bytes(edits) == (json_text(values_record(edits)) + "\n").encode()


COLUMN_TYPES = ["double", "float", "half", "double3", "float3", "half3", "quatf", "quatd", "float4", "double2"]


@st.composite
def columns(draw, paths):
    """A Columns of 1-2 numeric attributes on distinct prims, values rounded to their types as layout rounds them."""
    prims = draw(st.lists(st.sampled_from(paths), min_size=0, max_size=5, unique=True))
    attrs = draw(st.lists(ATTRS.filter(lambda a: a != "active"), min_size=1, max_size=2, unique=True))
    types = [draw(st.sampled_from(COLUMN_TYPES)) for _ in attrs]
    values = []
    for t in types:
        dtype, width = NUMERIC[t]
        rows = draw(st.lists(st.tuples(*[NUMBERS[dtype]] * max(width, 1)), min_size=len(prims), max_size=len(prims)))
        arr = np.array(rows, dtype=np.float64).reshape(len(prims), max(width, 1)).astype(dtype).astype(np.float64)
        values.append(arr[:, 0] if width == 0 else arr)
    return Columns(tuple(prims), tuple(attrs), tuple(types), tuple(values))


@st.composite
def batches(draw):
    """Edits and Columns mixed, as Plan.batch gives them: no attribute authored twice on one prim."""
    paths = draw(st.lists(PRIM_PATHS, min_size=1, max_size=8))
    items = draw(st.lists(st.one_of(columns(paths), attribute_edit(st.sampled_from(paths))), max_size=8))
    return once_per_attribute(items)


@SETTINGS
@given(batches())
def test_columns_are_written_as_their_edits(items):
    """Columns (many prims' values as arrays) give the text and values file their edits give through Sdf/json."""
    edits = expand(items)
    text = direct_text(items)
    if text is None:  # (Sdf's fallback: only for edits the direct writer does not know)
        assert direct_text(edits) is None
    else:
        assert text == sdf_text(edits)
    assert render(items, SUB, METADATA) == sdf_text(edits).encode()
    assert values_bytes(items) == (json_text(values_record(edits)) + "\n").encode()


def _body_columns(paths: list[str], seed: int) -> Columns:
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(len(paths), 3))
    q = rng.normal(size=(len(paths), 4)).astype(np.float32).astype(np.float64)
    return Columns(tuple(paths), ("xformOp:translate", "xformOp:orient"), ("double3", "quatf"), (t, q))


@pytest.mark.parametrize("later", [
    [],                                                                        # runs only
    [Edit("/World/A/b3", "physics:mass", "float", 2.0)],                       # another edit on a run member
    [Edit("/World/A/b3/Collider", "physics:staticFriction", "float", 0.5)],    # a new prim under a run member
    [Edit("/World/B/c1", "active", "bool", False)],                            # metadata on a run member
])
def test_columns_runs_keep_sdfs_order_and_text(later):
    """Layout's Columns write thousands of new sibling prims as runs (one template each); siblings from two
    parents interleaved, a second Columns on the same parents, and later edits on or under a member all give
    Sdf's export byte for byte."""
    first = _body_columns([f"/World/{p}/{n}{k}" for k in range(6) for p, n in (("A", "b"), ("B", "c"))], 1)
    second = _body_columns([f"/World/A/d{k}" for k in range(4)] + ["/World/C/e0", "/World/C/e1"], 2)
    items = [first, second, *later]
    text = direct_text(items)
    assert text is not None
    assert text == sdf_text(expand(items))
    assert text.count('over "') == 4 + 12 + 6 + (1 if later and "Collider" in later[0].path else 0)  # 4: containers
    if not later:  # the fast form was taken: the bodies after each parent's first are in runs
        roots = _tree(items)[0]
        runs = [c for prim in roots[0][1] for c in prim[1] if type(c) is Run]
        assert sum(len(r.names) for r in runs) == 12 + 6 - 3


def test_columns_refuse_mismatched_arrays():
    with pytest.raises(ValueError, match="one value row per prim"):
        Columns(("/A", "/B"), ("x",), ("double",), (np.zeros(3),))
    with pytest.raises(ValueError, match="distinct attribute"):
        Columns(("/A",), ("x", "x"), ("double", "double"), (np.zeros(1), np.zeros(1)))


# ----------------------------------------------------------------------------------------------- real variants
def _starter(scene: Path, tmp_path: Path, run_cli) -> Path:
    cfg = tmp_path / f"{scene.stem}.init.yaml"
    run_cli("init", scene, "-o", cfg)
    return cfg


def _variants_compare(scene: Path, cfg: Path) -> tuple[int, int]:
    """(variants written directly, variants in all) for a 4+2 set; every one equal to the Sdf path."""
    from twinsplit.config import load_config
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load
    from twinsplit.write.layer import stage_metadata

    stage, scene_info = load(scene)
    plan = make_plan(scene_info, load_config(cfg), 4, 2, {"train": 11, "holdout": 22})
    metadata = plan.stage_metadata(stage_metadata(stage.GetRootLayer()))
    direct = total = 0
    for split, sp in plan.splits.items():
        for i in range(len(sp.draws)):
            edits, batch = plan.edits(split, i), plan.batch(split, i)  # (batch: what the writer is given)
            assert expand(batch) == edits
            expected = sdf_text(edits, metadata)
            direct += direct_text(batch, metadata) is not None
            total += 1
            assert render(batch, SUB, metadata) == expected.encode(), f"{scene.name} {split}-{i}"
            assert values_bytes(batch) == (json_text(values_record(edits)) + "\n").encode()
    return direct, total


@pytest.mark.parametrize("name", ["warehouse", "hospital_corridor", "cleanroom_fab"])
def test_sample_scene_variants_equal_the_sdf_path(name, tmp_path, run_cli):
    scene = ROOT / "sample_scenes" / name / f"{name}.usda"
    results = [_variants_compare(scene, ROOT / "sample_scenes" / name / "twin.yaml"),
               _variants_compare(scene, _starter(scene, tmp_path, run_cli))]
    # The starter configs randomize materials, lights and layout only: every variant is written directly.
    assert results[1][0] == results[1][1] == 6


def test_bench_stage_variants_equal_the_sdf_path(tmp_path, run_cli):
    sys.path.insert(0, str(ROOT / "bench"))
    from build_scene import build

    scene = tmp_path / "bench.usda"
    build(scene, 300)
    assert _variants_compare(scene, _starter(scene, tmp_path, run_cli)) == (6, 6)
