"""generate --holdout-source: the holdout drawn and written on a second stage of the same site, and verify's
re-checks of it (issue 14, item 1)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pxr import Gf, Sdf, Usd, UsdGeom, UsdLux, UsdPhysics

from conftest import REPO
from stages import FLOOR, Box, box_stage
from twinsplit.hashing import sha256_file
from twinsplit.verify.core import verify

WAREHOUSE = REPO / "sample_scenes" / "warehouse" / "warehouse.usda"
CONFIG = """
seeds: {train: 11, holdout: 22}
randomize:
  physics_materials:
    match: {api: [PhysicsMaterialAPI]}
    static_friction: {low: 0.5, high: 1.0}
    restitution: {low: 0.0, high: 0.4}
  lighting:
    intensity: {distribution: loguniform, low: 0.5, high: 2.0, operation: scale}
  layout:
    offset: {low: -0.3, high: 0.3}
    yaw: {low: -15, high: 15}
    keep_out: [/World/Regions/LoadingDockLane]
events:
  person_enters_corridor: {region: aisle}
"""


def second_stage(src: Path, dest: Path, *, renamed: tuple[str, str] | None = None, shift: float = 0.02,
                 light_move: float = 0.5) -> Path:
    """Another model of the site in `src`: every rigid body shifted by `shift` m along x, every light moved by
    `light_move` m, and one physics material renamed (its bindings follow). Edited as a copy: the sample's own
    layer stays untouched in USD's layer registry."""
    shutil.copyfile(src, dest)
    stage = Usd.Stage.Open(str(dest))
    k = 1.0 / UsdGeom.GetStageMetersPerUnit(stage)
    for prim in stage.Traverse():
        if prim.HasAPI(UsdPhysics.RigidBodyAPI) or prim.HasAPI(UsdLux.LightAPI):
            xf = UsdGeom.Xformable(prim)
            ops = [op for op in xf.GetOrderedXformOps() if op.GetOpType() == UsdGeom.XformOp.TypeTranslate]
            d = (shift if prim.HasAPI(UsdPhysics.RigidBodyAPI) else light_move) * k
            if ops:
                ops[0].Set(ops[0].Get() + type(ops[0].Get())(d, 0, 0))
            else:
                xf.AddTranslateOp(opSuffix="site").Set(Gf.Vec3d(d, 0, 0))
    layer = stage.GetRootLayer()
    if renamed is not None:
        old, new = renamed
        edit = Sdf.BatchNamespaceEdit()
        edit.Add(Sdf.NamespaceEdit.Rename(old, new.rsplit("/", 1)[-1]))
        assert layer.Apply(edit)
        for prim in stage.Traverse():
            for rel in prim.GetRelationships():
                if Sdf.Path(old) in rel.GetTargets():
                    rel.SetTargets([Sdf.Path(new) if t == Sdf.Path(old) else t for t in rel.GetTargets()])
    layer.Save()
    return dest


@pytest.fixture
def site(tmp_path):
    """The warehouse, a second model of it, and the config."""
    other = second_stage(WAREHOUSE, tmp_path / "warehouse_rescan.usda",
                         renamed=("/World/PhysicsMaterials/Wood", "/World/PhysicsMaterials/Timber"))
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    return other, cfg


def test_a_holdout_built_on_a_second_stage_verifies_and_reports_its_shared_fraction(tmp_path, site, run_cli):
    other, cfg = site
    out = tmp_path / "out"
    result = run_cli("generate", WAREHOUSE, "--config", cfg, "--out", out, "--train", 4, "--holdout", 3,
                     "--holdout-source", other)
    assert "target /World/PhysicsMaterials/Wood is on the source only" in result.output
    assert "target /World/PhysicsMaterials/Timber is on the holdout source only" in result.output
    m = json.loads((out / "manifest.json").read_text())
    hs = m["holdout_source"]
    assert hs["root"] == "holdout-source/warehouse_rescan.usda" and (out / hs["root"]).is_file()
    assert hs["sha256"] != m["source"]["sha256"]
    assert {f["path"] for f in hs["files"]} == {"holdout-source/warehouse_rescan.usda"}
    assert hs["match"]["unmatched"] == {
        "source_only": [{"block": "randomize.physics_materials[0]", "target": "/World/PhysicsMaterials/Wood"}],
        "holdout_source_only": [{"block": "randomize.physics_materials[0]",
                                 "target": "/World/PhysicsMaterials/Timber"}]}
    assert 0 < hs["shared"]["fraction"] < 0.9 and hs["shared"]["max"] == 0.9
    # the holdout variants sublayer the second stage and write its renamed material; train never sees it
    for v in m["variants"]:
        layer = Sdf.Layer.FindOrOpen(str(out / v["path"]))
        values = json.loads((out / v["values_path"]).read_text())
        if v["split"] == "holdout":
            assert list(layer.subLayerPaths) == ["../holdout-source/warehouse_rescan.usda"]
            assert "/World/PhysicsMaterials/Timber.physics:staticFriction" in values
            assert not any(k.startswith("/World/PhysicsMaterials/Wood.") for k in values)
        else:
            assert list(layer.subLayerPaths) == ["../source/warehouse.usda"]
            assert "/World/PhysicsMaterials/Wood.physics:staticFriction" in values
    # a holdout layer's moved bodies start from the second stage's poses, not the source's
    stage = Usd.Stage.Open(str(out / "holdout" / "holdout-00000.usdc"))
    assert stage.GetPrimAtPath("/World/PhysicsMaterials/Timber").IsValid()
    assert not stage.GetPrimAtPath("/World/PhysicsMaterials/Wood").IsValid()
    result = run_cli("verify", out)
    assert "holdout-source" in result.output and f"shared fraction {hs['shared']['fraction']:.4f}" in result.output
    checks = {c.name: c for c in verify(out)}
    assert all(c.ok for c in checks.values()), [f.text for c in checks.values() for f in c.findings]
    assert not checks["holdout-source"].skipped and not checks["people clear"].skipped
    # croissant.json lists the copied holdout source with every other file, and names it in its lineage
    doc = json.loads((out / "croissant.json").read_text())
    listed = {f["contentUrl"]: f["sha256"] for f in doc["distribution"]}
    assert listed == {p.relative_to(out).as_posix(): sha256_file(p) for p in out.rglob("*")
                      if p.is_file() and p.name != "croissant.json"}
    assert [e["sha256"] for e in doc["prov:wasDerivedFrom"]] == [m["source"]["sha256"], hs["sha256"]]
    # the report reads the set (its holdout re-derived on the holdout source)
    run_cli("report", out, "-o", tmp_path / "report.html")
    assert "holdout-source" in (tmp_path / "report.html").read_text()


def test_the_same_stage_as_its_own_holdout_source_is_refused_under_stakes_high(tmp_path, run_cli):
    keys = tmp_path / "keys"
    run_cli("keygen", "--out", keys)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}\nsplits: "
                                  "{stakes: high, min_margin: 0.05}") + "  alarm_reroute: {holdout_only: true}\n")
    copy = tmp_path / "copy" / "warehouse.usda"
    copy.parent.mkdir()
    shutil.copyfile(WAREHOUSE, copy)
    for same in (WAREHOUSE, copy):  # the file itself, and a byte-identical copy elsewhere
        out = tmp_path / "out"
        result = run_cli("generate", WAREHOUSE, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2,
                         "--sign", keys / "twinsplit.key", "--seal", tmp_path / "seal.key", "--holdout-out",
                         tmp_path / "held", "--holdout-source", same, expect=1)
        assert "is the source itself" in result.output and "not independent" in result.output
        assert not out.exists() and not (tmp_path / "held").exists() and not (tmp_path / "seal.key").exists()


def test_tampering_with_the_copied_holdout_source_fails_verify(tmp_path, site, run_cli):
    other, cfg = site
    out = tmp_path / "out"
    run_cli("generate", WAREHOUSE, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2,
            "--holdout-source", other)
    copied = out / "holdout-source" / "warehouse_rescan.usda"
    # an edit of one value: the hash check names the file
    text = copied.read_text()
    copied.write_text(text.replace("float physics:staticFriction = 0.9", "float physics:staticFriction = 0.8", 1))
    failed = {c.name: c for c in verify(out) if not c.ok}
    assert "hashes" in failed and any("holdout-source/warehouse_rescan.usda" == f.file
                                      for f in failed["hashes"].findings)
    # swapping in the source itself, manifest hashes rewritten to match: the holdout-source check still fails
    shutil.copyfile(WAREHOUSE, copied)
    m = json.loads((out / "manifest.json").read_text())
    digest = m["source"]["sha256"]
    m["holdout_source"]["sha256"] = digest
    m["holdout_source"]["files"][0]["sha256"] = digest
    (out / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    failed = {c.name: c for c in verify(out) if not c.ok}
    messages = " ".join(f.message for f in failed["holdout-source"].findings)
    assert "it is the source" in messages and "byte-identical" in messages
    assert "hashes" not in failed  # the rewritten hashes match: only the independence checks can tell


def test_a_block_matching_nothing_on_the_holdout_source_is_refused(tmp_path, run_cli):
    src = box_stage(tmp_path / "a.usda", [FLOOR, Box("/World/Crate", 0, 0, 0.25, 0.5, 0.5, 0.5)])
    other = box_stage(tmp_path / "b.usda", [FLOOR, Box("/World/Pallet", 2, 2, 0.25, 0.5, 0.5, 0.5, yaw=10)])
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nrandomize:\n  layout: {offset: {low: -0.2, high: 0.2}}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 2,
                     "--holdout-source", other, expect=1)
    assert "randomize.layout[0]" in result.output and "/World/Pallet" in result.output
    assert "not of the same site" in result.output
    # a selector matching nothing on the holdout source: bind's own error, saying which stage
    cfg.write_text("seeds: {train: 1, holdout: 2}\nrandomize:\n  layout: {offset: {low: -0.2, high: 0.2}, "
                   "match: {paths: [/World/Crate]}}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 2,
                     "--holdout-source", other, expect=1)
    assert result.output.startswith("Error: on the holdout source: randomize.layout[0]")


def test_a_cm_y_up_rescan_of_a_metre_z_up_site_matches_every_body(tmp_path, run_cli):
    boxes = [FLOOR] + [Box(f"/World/Crate_{i}", -3 + 2 * i, 0, 0.25, 0.5, 0.5, 0.5) for i in range(4)]
    src = box_stage(tmp_path / "site.usda", boxes)
    shifted = [FLOOR] + [Box(b.path, b.x + 0.01 * (i + 1), b.y - 0.02, b.z, b.sx, b.sy, b.sz)
                         for i, b in enumerate(boxes[1:])]
    other = box_stage(tmp_path / "rescan.usda", shifted, up="Y", mpu=0.01)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nsplits: {min_margin: 0.05}\nrandomize:\n"
                   "  layout: {offset: {low: -0.4, high: 0.4}, yaw: {low: -20, high: 20}}\n")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 4, "--holdout-source", other)
    m = json.loads((out / "manifest.json").read_text())
    hs = m["holdout_source"]
    assert hs["up_axis"] == "Y" and hs["meters_per_unit"] == 0.01
    assert hs["match"]["matched_targets"]["by_path"] == 4 and hs["match"]["matched_columns"] == 12
    assert hs["match"]["unmatched"] == {"source_only": [], "holdout_source_only": []}
    # offsets drawn in cm on the rescan are compared with the train's metres in normalized space: the margin holds
    assert m["disjointness"]["holds"] and m["disjointness"]["min_distance"] >= 0.05
    holdout = json.loads((out / "holdout" / "holdout-00000.values.json").read_text())
    tx = [v for k, v in holdout.items() if k.endswith("xformOp:translate")]
    assert tx and all(abs(t[0]) > 50 or abs(t[2]) > 0 for t in tx)  # centimetre values, Y-up (z is -y)
    checks = verify(out)
    assert all(c.ok for c in checks), [f.text for c in checks for f in c.findings]


def test_a_sealed_holdout_keeps_its_source_out_of_out(tmp_path, site, run_cli):
    other, cfg = site
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    out, held, key = tmp_path / "out", tmp_path / "held", tmp_path / "seal.key"
    run_cli("generate", WAREHOUSE, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2,
            "--seal", key, "--holdout-out", held, "--holdout-source", other)
    assert not (out / "holdout-source").exists()
    assert (held / "holdout-source" / "warehouse_rescan.usda").is_file()
    checks = {c.name: c for c in verify(out)}
    assert all(c.ok for c in checks.values()), [f.text for c in checks.values() for f in c.findings]
    assert "sealed" in checks["holdout-source"].detail
    checks = {c.name: c for c in verify(out, held, key)}
    assert all(c.ok for c in checks.values()), [f.text for c in checks.values() for f in c.findings]
    assert "shared fraction" in checks["holdout-source"].detail


def test_a_stage_sharing_too_much_with_the_source_is_refused(tmp_path, run_cli):
    """A re-export of the source with one light moved: distinct bytes, but nearly every prim identical."""
    other = second_stage(WAREHOUSE, tmp_path / "nearly.usda", shift=0.0, light_move=0.5)
    cfg = tmp_path / "twin.yaml"
    cfg.write_text(CONFIG)
    result = run_cli("generate", WAREHOUSE, "--config", cfg, "--out", tmp_path / "out", "--train", 2,
                     "--holdout", 2, "--holdout-source", other, expect=1)
    assert "splits.max_shared_fraction 0.9" in result.output and "not an independent stage" in result.output
    cfg.write_text(CONFIG + "splits: {max_shared_fraction: 1.0}\n")
    run_cli("generate", WAREHOUSE, "--config", cfg, "--out", tmp_path / "out", "--train", 2, "--holdout", 2,
            "--holdout-source", other)


@st.composite
def rescans(draw):
    """A row of crates on a metre Z-up site, and a rescan of it in any units and up axis: every crate shifted by
    up to 3 cm, some renamed (the rescan's own names)."""
    n = draw(st.integers(2, 6))
    renamed = draw(st.sets(st.integers(0, n - 1), max_size=n - 1))
    shifts = draw(st.lists(st.tuples(st.floats(-0.03, 0.03), st.floats(-0.03, 0.03)), min_size=n, max_size=n))
    up, mpu = draw(st.sampled_from([("Z", 1.0), ("Y", 0.01), ("Z", 0.01), ("Y", 1.0)]))
    return n, renamed, shifts, up, mpu


@settings(max_examples=12, deadline=None, derandomize=True)
@given(case=rescans())
def test_every_matched_body_is_compared_in_normalized_space_and_every_renamed_one_listed(case):
    from twinsplit.config import parse_config
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load

    n, renamed, shifts, up, mpu = case
    crates = [Box(f"/World/Crate_{i}", -4 + 2.0 * i, 0, 0.25, 0.5, 0.5, 0.5) for i in range(n)]
    rescan = [Box(f"/World/Scan_{i}" if i in renamed else b.path, b.x + dx, b.y + dy, b.z, b.sx, b.sy, b.sz)
              for i, (b, (dx, dy)) in enumerate(zip(crates, shifts, strict=True))]
    with tempfile.TemporaryDirectory() as tmp:
        src = load(box_stage(Path(tmp) / "a.usda", [FLOOR] + crates))[1]
        other = load(box_stage(Path(tmp) / "b.usda", [FLOOR] + rescan, up=up, mpu=mpu))[1]
    config = parse_config({"seeds": {"train": 3, "holdout": 4}, "splits": {"min_margin": 0.05},
                           "randomize": {"layout": {"offset": {"low": -0.4, "high": 0.4},
                                                    "yaw": {"low": -20, "high": 20}}}}, "test")
    plan = make_plan(src, config, 5, 3, {"train": 3, "holdout": 4}, holdout_scene=other)
    hs = plan.holdout_source
    entry = hs.entry()
    assert entry["matched_columns"] == 3 * (n - len(renamed))
    assert [u["target"] for u in entry["unmatched"]["source_only"]] == [f"/World/Crate_{i}" for i in sorted(renamed)]
    assert [u["target"] for u in entry["unmatched"]["holdout_source_only"]] == [
        f"/World/Scan_{i}" for i in sorted(renamed)]
    # the compared columns are exactly the matched ones, and carry OTHER's normalized values unchanged
    from twinsplit.plan.draw import normalize

    ours = normalize(hs.plan.params, hs.plan.splits["holdout"].draws)[:, hs.columns >= 0]
    carried = plan.normalized("holdout")
    assert carried.shape == (3, 3 * (n - len(renamed))) and not np.isnan(carried).any()
    order = np.argsort(hs.columns[hs.columns >= 0])
    assert np.allclose(carried, ours[:, order], atol=1e-9)
    # and the margin holds between them
    assert plan.normalized("train").shape[1] == carried.shape[1]
    d = np.abs(carried[:, None, :] - plan.normalized("train")[None, :, :]).max(axis=2)
    assert d.min() >= 0.05


def test_a_holdout_source_set_is_byte_identical_whatever_the_worker_count(tmp_path, site, run_cli):
    other, cfg = site
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        run_cli("generate", WAREHOUSE, "--config", cfg, "--out", out, "--train", 4, "--holdout", 4,
                "--holdout-source", other, "--workers", workers)
        digests.append({p.relative_to(out).as_posix(): sha256_file(p) for p in out.rglob("*") if p.is_file()})
    assert digests[0] == digests[1] and any(k.startswith("holdout-source/") for k in digests[0])
    # verify --workers 2 re-derives the holdout on workers of the holdout source's own plan: the same findings
    p = tmp_path / "out1" / "holdout" / "holdout-00002.values.json"
    p.write_text(p.read_text().replace(": ", ":  ", 1))  # the same values, other bytes
    said = [run_cli("verify", tmp_path / "out1", "--json", "--workers", w, expect=1).output for w in (1, 2)]
    assert said[0] == said[1] and "holdout/holdout-00002.values.json: values match but the file differs" in said[0]
