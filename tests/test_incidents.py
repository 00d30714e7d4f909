"""Config `incidents:`: holdout variants drawn around real field incidents, tagged in the manifest and the lineage;
train kept out of each incident's neighbourhood; verify re-checks the tags; score reports each incident apart;
bad incidents exit 2 naming them."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from stages import write
from test_events import stage_text

INC = {"id": "INC-2026-0142", "description": "a visitor stepped out of room 3 at a run",
       "source": "site log 2026-03-14", "event": "person_enters_corridor", "observed": {"speed_mps": 1.6},
       "spread": 0.05, "holdout_variants": 5}
SPEED = (0.5, 1.8)  # the event's default speed range (m/s)
LOW, HIGH = 1.6 - 0.05 * 1.3, 1.6 + 0.05 * 1.3


def config(incidents=(INC,), **extra) -> dict:
    return {"seeds": {"train": 7, "holdout": 8},
            "randomize": {"lighting": {"intensity": {"low": 0.5, "high": 2.0, "operation": "scale"}}},
            "events": {"person_enters_corridor": {}}, **({"incidents": list(incidents)} if incidents else {}),
            **extra}


def generate(tmp, run_cli, cfg: dict, name="set", n_train=30, n_holdout=3, expect=0):
    src = tmp / "site.usda"
    if not src.is_file():
        write(tmp, stage_text(), "site.usda")
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = tmp / name
    result = run_cli("generate", src, "--config", path, "--out", out, "--train", n_train, "--holdout", n_holdout,
                     expect=expect)
    return out, result


@pytest.fixture(scope="module")
def incident_set(tmp_path_factory, run_cli):
    tmp = tmp_path_factory.mktemp("incidents")
    out, _ = generate(tmp, run_cli, config())
    return out


def manifest(out):
    return json.loads((out / "manifest.json").read_text())


def speed(v) -> float | None:
    """The walking speed the variant's event records (read from the manifest, independently of the plan)."""
    return next((e["parameters"]["speed_mps"] for e in v["events"] if e["kind"] == "person_enters_corridor"), None)


def test_an_incident_tags_only_holdout_variants_within_its_spread(incident_set):
    m = manifest(incident_set)
    ids = [f"holdout-{i:05d}" for i in range(3, 8)]
    assert m["counts"] == {"train": 30, "holdout": 8}  # 3 regular + the incident's 5, after them
    tagged = [v for v in m["variants"] if "incident" in v]
    assert [v["id"] for v in tagged] == ids and {v["split"] for v in tagged} == {"holdout"}
    assert {v["incident"] for v in tagged} == {INC["id"]}
    (entry,) = m["incidents"]
    assert entry["variants"] == ids and entry["observed"] == {"speed_mps": 1.6} and entry["spread"] == 0.05
    ((name, (lo, hi)),) = entry["neighbourhood"].items()
    assert name.endswith("Person_0.event:speed") and (lo, hi) == pytest.approx((LOW, HIGH))
    speeds = [speed(v) for v in tagged]
    assert all(s is not None and LOW <= s <= HIGH for s in speeds), speeds
    assert len(set(speeds)) == 5  # drawn within the spread, not copied
    # the lineage says where the edge case comes from
    (lin,) = m["lineage"]["incidents"]
    assert lin == {"id": INC["id"], "description": INC["description"], "source": INC["source"],
                   "event": INC["event"], "observed": {"speed_mps": 1.6}, "variants": ids}
    assert m["config"]["body"]["incidents"][0]["id"] == INC["id"]


def test_train_stays_outside_every_incident_neighbourhood(incident_set):
    from twinsplit.config import parse_config
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load

    m = manifest(incident_set)
    train = [speed(v) for v in m["variants"] if v["split"] == "train"]
    assert len([s for s in train if s is not None]) >= 25
    assert not [s for s in train if s is not None and LOW <= s <= HIGH]
    # without the incident the same seeds do put train variants there: the keep-out is what moved them
    scene = load(incident_set / m["source"]["root"])[1]
    plain = make_plan(scene, parse_config(config(incidents=()), "t"), 30, None, {"train": 7})
    col = next(j for j, p in enumerate(plain.params) if p.name.endswith("Person_0.event:speed"))
    x = plain.splits["train"].draws[:, col]
    assert ((x >= LOW) & (x <= HIGH)).any()
    assert sum(v["redraws"] for v in m["variants"] if v["split"] == "train") > 0


def test_verify_passes_and_catches_a_tampered_incident_tag(incident_set, run_cli, tmp_path):
    r = run_cli("verify", incident_set)
    assert "ok    anchors: 1 incident(s), 5 holdout variants" in r.output
    import shutil

    for name, moved in (("holdout-00005", "holdout-00001"), ("holdout-00003", "train-00002")):
        copy = tmp_path / moved
        shutil.copytree(incident_set, copy)
        m = manifest(copy)
        by_id = {v["id"]: v for v in m["variants"]}
        by_id[moved]["incident"] = by_id[name].pop("incident")  # the tag moved to another variant
        (copy / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
        out = run_cli("verify", copy, expect=1).output
        assert "FAIL  anchors" in out
        assert f"{moved}: tagged incident 'INC-2026-0142', the config gives None" in out
        assert f"{name}: tagged incident None, the config gives 'INC-2026-0142'" in out


def test_same_command_twice_is_byte_identical(incident_set, run_cli, tmp_path):
    again, _ = generate(tmp_path, run_cli, config(), name="again")
    files = sorted(p.relative_to(incident_set) for p in incident_set.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (incident_set / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_score_reports_each_incident_apart(incident_set, run_cli, tmp_path):
    m = manifest(incident_set)
    results = tmp_path / "r.csv"
    # the policy fails exactly on the incident's variants
    results.write_text("variant,success\n" + "".join(f"{v['id']},{0 if 'incident' in v else 1}\n"
                                                     for v in m["variants"]))
    rec = json.loads(run_cli("score", incident_set, results, "--format", "json", "-o", tmp_path / "s.json").output)
    (inc,) = rec["score"]["incidents"]
    assert inc["incident"] == INC["id"] and inc["variants"] == 5 and inc["mean"] == 0.0
    assert inc["gap"]["gap"] == -1.0
    assert rec["score"]["splits"]["holdout"]["mean"] == pytest.approx(3 / 8)
    text = run_cli("score", incident_set, results, "-o", tmp_path / "s2.json").output
    assert f"incident {INC['id']}" in text


@pytest.mark.parametrize("change, needle", [
    ({"event": "alarm_reroute"}, "incident INC-2026-0142: event 'alarm_reroute' is not a kind configured under"),
    ({"observed": {"intensity": 1.0}}, "incident INC-2026-0142: 'intensity' is not a parameter of event "
                                       "person_enters_corridor"),
    ({"observed": {"speed_mps": 1.9}}, "incident INC-2026-0142: observed speed_mps = 1.9 lies outside the "
                                       "parameter's range [0.5, 1.8]"),
    ({"observed": {"/World/TwinsplitEvents/Person_0.event:speed": 0.1}}, "observed "
     "/World/TwinsplitEvents/Person_0.event:speed = 0.1 lies outside"),
    ({"observed": {"direction": 0}}, "incident INC-2026-0142: direction is a choice"),
    (None, "incident INC-2026-0142: the id is listed twice"),
])
def test_bad_incidents_exit_2_naming_them(tmp_path, run_cli, change, needle):
    incidents = [INC, INC] if change is None else [INC | change]
    out, r = generate(tmp_path, run_cli, config(incidents=incidents), n_train=2, n_holdout=1, expect=2)
    assert needle in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_unknown_incident_key_is_a_config_error(tmp_path, run_cli):
    out, r = generate(tmp_path, run_cli, config(incidents=[INC | {"severity": "high"}]), n_train=2, n_holdout=1,
                      expect=1)
    assert "incidents.0.severity: unknown key" in r.output and not out.exists()


def test_incident_draws_come_from_the_holdout_stream_alone(incident_set):
    """Changing the train seed changes no incident value (the holdout stream and the incident's own key)."""
    from twinsplit.config import parse_config
    from twinsplit.plan.draw import make_plan
    from twinsplit.scene.discover import load

    m = manifest(incident_set)
    scene = load(incident_set / m["source"]["root"])[1]
    cfg = parse_config(config(), "t")
    a = make_plan(scene, cfg, 4, 8, {"train": 7, "holdout": 8})
    b = make_plan(scene, cfg, 4, 8, {"train": 70, "holdout": 8})
    col = next(j for j, p in enumerate(a.params) if p.name.endswith("Person_0.event:speed"))
    x = a.splits["holdout"].draws[3:, col]
    assert np.all((x >= LOW) & (x <= HIGH))
    if not (a.splits["holdout"].redraws.any() or b.splits["holdout"].redraws.any()):  # margin redraws aside
        assert np.array_equal(x, b.splits["holdout"].draws[3:, col])


def test_the_report_lists_the_incident(incident_set, run_cli, tmp_path):
    dest = tmp_path / "report.html"
    run_cli("report", incident_set, "-o", dest)
    html = dest.read_text()
    assert '<h2 id="anchors">Anchors to reality</h2>' in html and "<h3>Field incidents</h3>" in html
    assert INC["id"] in html and INC["description"] in html and "holdout-00003, holdout-00004" in html


def test_croissant_lists_the_incident_as_a_prov_entity(incident_set):
    doc = json.loads((incident_set / "croissant.json").read_text())
    (entity,) = [e for e in doc["prov:wasDerivedFrom"] if e["@id"] == f"lineage/incident/{INC['id']}"]
    assert INC["description"] in entity["description"] and INC["source"] in entity["description"]
    assert "holdout-00003" in entity["description"]


def test_a_sealed_set_with_an_incident_verifies_with_and_without_its_key(tmp_path, run_cli):
    cfg = config()
    cfg["seeds"] = {"train": 7}
    src = write(tmp_path, stage_text(), "site.usda")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out, held, key = tmp_path / "o", tmp_path / "h", tmp_path / "k"
    run_cli("generate", src, "--config", path, "--out", out, "--train", 8, "--holdout", 2, "--seal", key,
            "--holdout-out", held)
    m = manifest(out)
    assert [v["id"] for v in m["variants"] if "incident" in v] == [f"holdout-{i:05d}" for i in range(2, 7)]
    assert "ok    anchors" in run_cli("verify", out).output
    assert "ok    anchors" in run_cli("verify", out, "--holdout", held, "--reveal", key).output


def test_verify_catches_an_edited_incident_in_the_config_and_in_the_lineage(incident_set, run_cli, tmp_path):
    import shutil

    for what in ("config", "lineage"):
        copy = tmp_path / what
        shutil.copytree(incident_set, copy)
        m = manifest(copy)
        if what == "config":
            m["config"]["body"]["incidents"][0]["spread"] = 0.5
        else:
            m["lineage"]["incidents"][0]["source"] = "made up"
        (copy / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
        out = run_cli("verify", copy, expect=1).output
        if what == "config":
            assert "FAIL  config" in out and "config sha256 is" in out
        else:
            assert "FAIL  anchors" in out and "lineage.incidents differs from what the config gives" in out
            assert "ok    config" in out
