"""manifest.dumps writes json.dumps(indent=2, sort_keys=True)'s bytes; parameters_entry shares a Dist's ranges."""

import enum
import json
import math

import numpy as np
import pytest
import yaml

from stages import write
from twinsplit import manifest as mf
from twinsplit.config import parse_config
from twinsplit.generate import Request, build_plan


def reference(obj) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()


class Level(enum.IntEnum):
    LOW = 1


AWKWARD_STRINGS = ["", "plain", "caf\u00e9 \u2603 \U0001f600", 'q"uote\\back', "new\nline\ttab", "nul\0in",
                   "]\0[", "}\0{", "%s %d %%", "[1, 2]", "{\"a\": 1}", "\x7f\x01"]
AWKWARD_NUMBERS = [0, -1, 2**70, 0.0, -0.0, 1.5, 1e-310, 1e300, -2.5e-8, 0.1 + 0.2, True, False, None]


def random_tree(rng: np.random.Generator, depth: int = 0):
    """A JSON-able tree with what the encoder takes shortcuts on: flat containers, tables (lists of dicts
    with one key set), columns of flat containers, shared objects, empty containers, and what it must leave
    to json (tuples, int/float subclasses, non-string keys)."""
    pick = rng.integers(0, 12 if depth < 4 else 3)
    scalars = AWKWARD_STRINGS + AWKWARD_NUMBERS
    if pick < 3:
        return scalars[rng.integers(len(scalars))]
    if pick == 3:
        return [scalars[i] for i in rng.integers(0, len(scalars), rng.integers(0, 4))]
    if pick == 4:
        keys = [str(k) for k in rng.choice(AWKWARD_STRINGS, rng.integers(1, 5), replace=False)]
        return {k: scalars[rng.integers(len(scalars))] for k in keys} | {"e": [], "f": {}}
    if pick == 5:  # a table: rows with one key set, some columns scalar, some flat, some nested
        keys = ["name", "%x", "flat", "deep", "mixed"]
        return [{"name": f"r{i}", "%x": scalars[i % len(scalars)], "flat": [i, 0.5 * i],
                 "deep": random_tree(rng, depth + 2), "mixed": [1] if i % 2 else {"k": i}}
                | ({"extra": 1} if rng.random() < 0.1 else {}) for i in range(rng.integers(1, 6))
                ] if rng.random() < 0.9 else [{k: 1 for k in keys}]
    if pick == 6:  # a column of flat dicts, some with non-string keys
        return [{3: None, 1.5: "x", True: i} if i % 3 == 0 else {"a": i, "b": f"]{i}["} for i in range(4)]
    if pick == 7:
        shared = {"low": 0.1, "high": 2.0, "choices": [], "nested": {"x": [1, 2]}}
        return [{"ranges": shared, "i": i} for i in range(3)] + [shared, [shared]]
    if pick == 8:
        return (1, "two", [3.0]) if rng.random() < 0.5 else {"t": (Level.LOW, np.float64(0.25), [()])}
    if pick == 9:
        return [{1: "int key", 2: [{}]}, {None: 0}, {True: [1], 2.5: {}}][rng.integers(3)]
    n = rng.integers(0, 5)
    if pick == 10:
        return [random_tree(rng, depth + 1) for _ in range(n)]
    return {f"k{rng.integers(100)}": random_tree(rng, depth + 1) for _ in range(n)}


@pytest.mark.parametrize("seed", range(300))
def test_dumps_equals_json_dumps_on_awkward_trees(seed):
    tree = random_tree(np.random.default_rng(seed))
    assert mf.dumps({"root": tree, "again": tree, "list": [tree, tree]}) == reference(
        {"root": tree, "again": tree, "list": [tree, tree]})


@pytest.mark.parametrize("bad", [math.nan, math.inf, [1.0, -math.inf], [{"a": 1.0}, {"a": math.nan}],
                                 [[0.5, math.nan]], {"a": {"b": [math.inf, 1]}}])
def test_dumps_refuses_non_finite_floats_like_json(bad):
    with pytest.raises(ValueError):
        reference({"x": bad})
    with pytest.raises(ValueError):
        mf.dumps({"x": bad})


CHOICES = """
randomize:
  physics_materials:
    static_friction: {low: 0.3, high: 1.0, holdout: {low: 0.9, high: 1.2}}
    dynamic_friction: {distribution: choice, choices: [1, 2.0, 0.5], holdout: {choices: [3, 4.5]}}
    restitution: {distribution: normal, low: 0.0, high: 0.5, mean: 0.2, std: 0.1}
  lighting:
    color: {low: 0.8, high: 1.0}
"""


def test_parameters_entry_shares_each_dists_ranges_and_equals_one_dump_per_parameter(tmp_path):
    req = Request(source=write(tmp_path), config=parse_config(yaml.safe_load(CHOICES), "test"),
                  out=tmp_path / "out", n_train=2, n_holdout=1, seed_train=1, seed_holdout=2)
    _, plan, _ = build_plan(req)
    entry = mf.parameters_entry(plan)
    assert len(entry) == len(plan.params) > len({id(p.dist) for p in plan.params})
    for e, p in zip(entry, plan.params, strict=True):
        alone = {s: p.resolved(s).model_dump(mode="json") for s in ("train", "holdout")}
        assert json.dumps(e["ranges"], sort_keys=True) == json.dumps(alone, sort_keys=True)  # 1 stays 1, 2.0 stays 2.0
    assert len({id(e["ranges"]) for e in entry}) == len({id(p.dist) for p in plan.params})
    manifest = {"parameters": entry, "n": len(entry)}
    assert mf.dumps(manifest) == reference(manifest)


def test_written_manifest_is_json_dumps_text(tmp_path, run_cli):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CHOICES)
    run_cli("generate", write(tmp_path), "--config", cfg, "--out", tmp_path / "o", "--train", 4, "--holdout", 2)
    text = (tmp_path / "o" / mf.MANIFEST).read_bytes()
    assert text == reference(json.loads(text))
