"""Lineage: the real-world roots of a source, its purpose and terms, validated in the config, set per run by
generate's flags, recorded in the manifest and croissant.json, and checked by `verify --purpose`."""

import json

import pytest
import yaml

from stages import CONFIG, write

LINEAGE = """
lineage:
  purpose: [nav-eval, regression-gate]
  owner: qa
  consent: "site operator agreement; no people captured"
  retention: P1Y
  sources:
    - capture_ids: [scan-0412, scan-0413]
      site: "Munich DC-2, hall B"
      capture_date: 2026-03-02/2026-03-04
      jurisdiction: DE-BY
"""


def _config(tmp_path, lineage: str = LINEAGE):
    base = "\n".join(line for line in CONFIG.splitlines() if not line.startswith("lineage:"))
    cfg = tmp_path / "lineage.yaml"
    cfg.write_text(base + "\n" + lineage)
    return cfg


def _gen(run_cli, src, cfg, out, *flags, expect=0):
    return run_cli("generate", src, "--config", cfg, "--out", out, "--train", 3, "--holdout", 2, *flags,
                   expect=expect)


@pytest.fixture
def lineage_set(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path), out)
    return out


def test_the_lineage_block_is_recorded_in_the_manifest_as_written(lineage_set):
    m = json.loads((lineage_set / "manifest.json").read_text())
    assert m["lineage"] == {
        "purpose": ["nav-eval", "regression-gate"], "owner": "qa",
        "consent": "site operator agreement; no people captured", "retention": "P1Y",
        "sources": [{"capture_ids": ["scan-0412", "scan-0413"], "site": "Munich DC-2, hall B",
                     "capture_date": "2026-03-02/2026-03-04", "jurisdiction": "DE-BY", "stage": ""}]}
    assert m["config"]["body"]["lineage"] == m["lineage"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib, inside mlcroissant
def test_croissant_maps_the_lineage_into_rai_fields_and_prov_and_still_validates(lineage_set):
    doc = json.loads((lineage_set / "croissant.json").read_text())
    assert doc["rai:dataUseCases"] == ["nav-eval", "regression-gate"]
    assert doc["rai:dataReleaseMaintenancePlan"] == "P1Y"
    assert doc["rai:personalSensitiveInformation"] == "site operator agreement; no people captured"
    assert doc["rai:dataCollectionTimeframe"] == ["2026-03-02", "2026-03-04"]
    assert "scan-0412, scan-0413 at Munich DC-2, hall B (jurisdiction DE-BY)" in doc["rai:dataCollection"]
    source = doc["prov:wasDerivedFrom"][0]
    capture, = source["prov:wasDerivedFrom"]
    assert capture["identifier"] == ["scan-0412", "scan-0413"]
    assert capture["prov:generatedAtTime"] == "2026-03-02/2026-03-04"
    assert capture["prov:atLocation"] == {"@type": "prov:Location", "name": "Munich DC-2, hall B",
                                          "sc:addressCountry": "DE-BY"}
    mlc = pytest.importorskip("mlcroissant", reason="mlcroissant (the dev extra) is not installed")
    dataset = mlc.Dataset(jsonld=str(lineage_set / "croissant.json"))  # raises mlc.ValidationError on an error
    assert [r.name for r in dataset.metadata.record_sets] == ["splits", "variants"]
    assert dataset.metadata.data_use_cases == ["nav-eval", "regression-gate"]  # what mlcroissant reads back
    assert "scan-0412" in dataset.metadata.data_collection


def test_verify_passes_a_declared_purpose_and_fails_another_naming_the_declared_ones(lineage_set, run_cli):
    ok = run_cli("verify", lineage_set, "--purpose", "regression-gate")
    assert "ok    purpose: generated for 'regression-gate'" in ok.output
    assert "verified: the independence proof holds" in ok.output
    bad = run_cli("verify", lineage_set, "--purpose", "training", expect=1)
    assert "FAIL  purpose\n      not generated for 'training': the set declares 'nav-eval', 'regression-gate'" \
        in bad.output
    assert bad.output.rstrip().endswith("verification FAILED")
    case = run_cli("verify", lineage_set, "--purpose", "Nav-Eval", "--json", expect=1)
    check = next(c for c in json.loads(case.output)["checks"] if c["name"] == "purpose")
    assert check["status"] == "fail" and "'nav-eval' differs in case" in check["problems"][0]
    plain = run_cli("verify", lineage_set)
    assert "skip  purpose: no --purpose given (declared: 'nav-eval', 'regression-gate')" in plain.output


def test_verify_purpose_fails_a_set_that_declares_none(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path, ""), out)
    r = run_cli("verify", out, "--purpose", "nav-eval", expect=1)
    assert "not generated for 'nav-eval': the set declares no purpose (lineage.purpose)" in r.output


def test_an_edited_purpose_in_the_manifest_fails_verify(lineage_set, run_cli):
    path = lineage_set / "manifest.json"
    m = json.loads(path.read_text())
    m["lineage"]["purpose"] = ["training"]
    path.write_text(json.dumps(m, indent=2, sort_keys=True) + "\n")
    r = run_cli("verify", lineage_set, "--purpose", "training", expect=1)
    assert "lineage differs from the config's lineage block" in r.output


def test_generate_flags_override_the_config_and_are_recorded(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path), out, "--purpose", "soak-test", "--capture-id", "scan-0999",
         "--capture-date", "2026-05-01T09:30:00Z", "--jurisdiction", "AT")
    lineage = json.loads((out / "manifest.json").read_text())["lineage"]
    assert lineage["purpose"] == "soak-test"
    assert lineage["sources"] == [{"capture_ids": ["scan-0999"], "site": "Munich DC-2, hall B",
                                   "capture_date": "2026-05-01T09:30:00Z", "jurisdiction": "AT", "stage": ""}]
    run_cli("verify", out, "--purpose", "soak-test")
    run_cli("verify", out, "--purpose", "nav-eval", expect=1)


def test_flags_alone_make_a_capture_root_and_several_purposes_a_list(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path, ""), out,  # a config without a lineage block
         "--purpose", "a", "--purpose", "b", "--capture-id", "s1", "--capture-id", "s2", "--site", "lab")
    lineage = json.loads((out / "manifest.json").read_text())["lineage"]
    assert lineage["purpose"] == ["a", "b"]
    assert lineage["sources"] == [{"capture_ids": ["s1", "s2"], "site": "lab", "capture_date": "",
                                   "jurisdiction": "", "stage": ""}]
    run_cli("verify", out, "--purpose", "b")


def test_capture_flags_are_refused_when_the_config_lists_several_captures(tmp_path, run_cli):
    src = write(tmp_path)
    two = LINEAGE + "    - {capture_ids: [scan-9], site: annex}\n"
    r = _gen(run_cli, src, _config(tmp_path, two), tmp_path / "out", "--site", "x", expect=1)
    assert "--site: the config's lineage.sources lists 2 captures" in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--capture-date", "2026-13-01", "--capture-date: '2026-13-01' is not an ISO 8601 date (YYYY-MM-DD) or date-time"),
    ("--capture-date", "2026-03-04/2026-03-01", "--capture-date: capture interval '2026-03-04/2026-03-01' ends before"),
    ("--jurisdiction", "XX", "--jurisdiction: 'XX' is not an ISO 3166-1 alpha-2 country code"),
    ("--jurisdiction", "de", "(codes are upper case: 'DE')"),
    ("--jurisdiction", "DEU", "(that is alpha-3: use 'DE')"),
    ("--capture-id", " ", "--capture-id: a capture id is empty"),
])
def test_an_invalid_flag_is_refused_with_one_error_naming_it(tmp_path, run_cli, flag, value, message):
    src = write(tmp_path)
    r = _gen(run_cli, src, _config(tmp_path), tmp_path / "out", flag, value, expect=1)
    assert message in r.output
    assert r.output.count("Error:") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("lineage", "message"), [
    ("{sources: [{capture_date: 04/03/2026}]}", "lineage.sources.0.capture_date: '04/03/2026' is not an ISO 8601"),
    ("{sources: [{capture_date: '2026-02-30'}]}", "'2026-02-30' is not an ISO 8601 date"),
    ("{sources: [{jurisdiction: UK}]}", "lineage.sources.0.jurisdiction: 'UK' is not an ISO 3166-1 alpha-2"),
    ("{sources: [{jurisdiction: US-XX}]}", "'US-XX' is not an ISO 3166-1 alpha-2"),
    ("{retention: forever}", "lineage.retention: retention 'forever' is not a duration"),
    ("{retention: '2027-02-30'}", "retention '2027-02-30' is not a duration"),
    ("{purpose: [a, a]}", "lineage.purpose: purpose 'a' is listed twice"),
    ("{purpose: []}", "lineage.purpose: a listed purpose is empty"),
    ("{sources: []}", "lineage: sources is an empty list"),
    ("{sources: [{capture_ids: [s1, s1]}]}", "capture id 's1' is listed twice"),
    ("{sources: [{stage: other.usda}]}", "lineage.sources.0.stage: 'other.usda' is not a source stage of this run"),
])
def test_an_invalid_lineage_in_the_config_is_refused_with_one_clear_error(tmp_path, run_cli, lineage, message):
    src = write(tmp_path)
    r = _gen(run_cli, src, _config(tmp_path, f"lineage: {lineage}\n"), tmp_path / "out", expect=1)
    assert message in r.output, r.output
    assert r.output.count("Error:") == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("retention", ["P90D", "P1Y6M", "PT12H", "P2W", "90 days", "1 year", "2027-12-31"])
def test_retention_takes_a_duration_or_a_date(retention):
    from twinsplit.lineage import Lineage

    assert Lineage(retention=retention).retention == retention


@pytest.mark.parametrize("code", ["DE", "US-CA", "EU", "JP-13", "GB"])
def test_jurisdiction_takes_iso_3166_codes(code):
    from twinsplit.lineage import CaptureRoot

    assert CaptureRoot(jurisdiction=code).jurisdiction == code


def test_a_source_stage_named_in_the_lineage_is_accepted(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path, f"lineage: {{sources: [{{capture_ids: [s1], stage: {src.name}}}]}}\n"), out)
    doc = json.loads((out / "croissant.json").read_text())
    assert doc["prov:wasDerivedFrom"][0]["prov:wasDerivedFrom"][0]["name"] == "s1"


def test_the_starter_and_sample_configs_still_validate():
    from conftest import REPO
    from twinsplit.config import load_config

    for cfg in sorted((REPO / "sample_scenes").glob("*/twin.yaml")):
        assert yaml.safe_load(cfg.read_text())["lineage"]["retention"] == "90 days"
        load_config(cfg)


def test_unquoted_yaml_dates_are_taken_as_the_iso_text_they_were(tmp_path, run_cli):
    src = write(tmp_path)
    out = tmp_path / "out"
    _gen(run_cli, src, _config(tmp_path, "lineage: {retention: 2027-12-31, sources: [{capture_date: 2026-03-04}]}\n"),
         out)
    lineage = json.loads((out / "manifest.json").read_text())["lineage"]
    assert (lineage["retention"], lineage["sources"][0]["capture_date"]) == ("2027-12-31", "2026-03-04")
    assert json.loads((out / "croissant.json").read_text())["rai:dataCollectionTimeframe"] == ["2026-03-04"]


def test_a_date_yaml_cannot_read_is_a_parse_error_not_a_crash(tmp_path, run_cli):
    src = write(tmp_path)
    r = _gen(run_cli, src, _config(tmp_path, "lineage: {retention: 2027-02-30}\n"), tmp_path / "out", expect=2)
    assert "cannot parse config" in r.output and "day is out of range for month" in r.output


def test_the_report_shows_the_lineage_lists_as_json(lineage_set, run_cli, tmp_path):
    page = tmp_path / "report.html"
    run_cli("report", lineage_set, "-o", page)
    html = page.read_text()
    assert "<th>lineage purpose</th><td>[&quot;nav-eval&quot;, &quot;regression-gate&quot;]</td>" in html
    assert "scan-0412" in html and "[{'capture_ids'" not in html
