"""verify --workers K re-derives and compares the variants on K processes (verify/rederive_pool.py): the same
findings, in the same order, with the same detail text, as one process; layout and people checks, fed by what
the workers found each layer authors, pass the same."""

import json

import yaml

from conftest import REPO
from stages import edit_first

HOSPITAL = REPO / "sample_scenes" / "hospital_corridor"


def _verify_json(run_cli, out, workers, expect):
    return json.loads(run_cli("verify", out, "--json", "--workers", workers, expect=expect).output)


def _checks(data):
    return {c["name"]: c for c in data["checks"]}


def test_a_tampered_set_gives_the_same_findings_with_one_and_two_workers(generated, run_cli):
    """A usdc layer edited through Sdf, a values file with one value changed, a variant whose listed layer is
    missing and one whose values path leaves the set: every finding named as with one process, in order."""
    edit_first(generated / "train" / "train-00003.usdc", "physics:staticFriction", 0.123)
    p = generated / "train" / "train-00005.values.json"
    values = json.loads(p.read_text())
    key = "/World/Materials/Steel.physics:restitution"
    values[key] = 0.5
    p.write_text(json.dumps(values))
    (generated / "train" / "train-00007.usdc").unlink()
    m = json.loads((generated / "manifest.json").read_text())
    m["variants"][13]["values_path"] = "../outside.values.json"  # holdout-00001: ends the check there
    (generated / "manifest.json").write_text(json.dumps(m, indent=2))
    one = _verify_json(run_cli, generated, 1, 1)
    assert _verify_json(run_cli, generated, 2, 1) == one
    found = [(f["file"], f["attribute"], f["message"]) for f in _checks(one)["rederive"]["findings"]]
    assert found[0] == ("train/train-00003.usdc", "physics:staticFriction",
                        next(f[2] for f in found if "is 0.123" in f[2]))
    assert found[1][:2] == ("train/train-00005.values.json", "physics:restitution"), found
    assert "escapes the output directory" in found[-1][2] and len(found) == 3, found


def test_an_untampered_layout_and_people_set_passes_with_one_and_two_workers(tmp_path, run_cli):
    cfg = yaml.safe_load((HOSPITAL / "twin.yaml").read_text())
    assert {"layout"} <= set(cfg["randomize"]) and "person_enters_corridor" in cfg["events"]
    out = tmp_path / "o"
    run_cli("generate", HOSPITAL / "hospital_corridor.usda", "--config", HOSPITAL / "twin.yaml", "--out", out,
            "--train", 3, "--holdout", 2, "--seed-train", 1, "--seed-holdout", 2)
    one = _verify_json(run_cli, out, 1, 0)
    assert _verify_json(run_cli, out, 2, 0) == one
    checks = _checks(one)
    assert checks["rederive"]["detail"] == "5 variants re-derived"
    for name in ("layout", "people clear"):
        assert checks[name]["status"] == "ok" and not checks[name]["skipped"], checks[name]


def test_a_finding_line_names_its_prim_once():
    from twinsplit.verify.core import Finding

    named = Finding("layout", "/World/Box lies outside the layout bounds", "train/t.usdc", "/World/Box")
    unnamed = Finding("layout", "authors xformOp:scale, which the check does not understand", "train/t.usdc",
                      "/World/Box", "xformOp:scale")
    assert named.text == "train/t.usdc: /World/Box lies outside the layout bounds"
    assert unnamed.text == "train/t.usdc: /World/Box: authors xformOp:scale, which the check does not understand"
    assert Finding("files", "manifest.json is missing").text == "manifest.json is missing"
