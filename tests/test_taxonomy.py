"""validate --taxonomy: every semantic label of a stage or a twinsplit set is declared in the taxonomy file, or is
flagged naming the prim and the label (ontology drift between capture and synthetic-data teams)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pxr import Sdf, Usd, UsdGeom

from conftest import REPO

# cm, Y-up, no default prim; LabelsAPI labels in two taxonomies and the older SemanticsAPI attributes.
ODD = """#usda 1.0
(
    metersPerUnit = 0.01
    upAxis = "Y"
)

def Xform "Site"
{
    def Cube "PalletA" (
        prepend apiSchemas = ["SemanticsLabelsAPI:class"]
    )
    {
        token[] semantics:labels:class = ["pallet"]
    }

    def Cube "PalletB" (
        prepend apiSchemas = ["SemanticsLabelsAPI:class"]
    )
    {
        token[] semantics:labels:class = ["Pallet"]
    }

    def Capsule "Worker" (
        prepend apiSchemas = ["SemanticsLabelsAPI:class", "SemanticsLabelsAPI:role"]
    )
    {
        token[] semantics:labels:class = ["person"]
        token[] semantics:labels:role = ["supervisor"]
    }

    def Cube "Forklift" (
        prepend apiSchemas = ["SemanticsAPI:Semantics", "SemanticsAPI:Semantics_1"]
    )
    {
        string semantic:Semantics:params:semanticData = "forklift"
        string semantic:Semantics:params:semanticType = "class"
        string semantic:Semantics_1:params:semanticData = "fork-lift"
        string semantic:Semantics_1:params:semanticType = "class"
    }
}

def Xform "Elsewhere"
{
    def Cube "Drum"
    {
        token[] semantics:labels:class = ["drum"]
    }
}
"""

TAXONOMY = """
labels:
  - pallet
  - person
  - vehicle:
      - forklift
      - agv
taxonomies:
  role: [worker, visitor]
"""


@pytest.fixture
def odd(tmp_path):
    stage = tmp_path / "site.usda"
    stage.write_text(ODD)
    tax = tmp_path / "taxonomy.yaml"
    tax.write_text(TAXONOMY)
    return stage, tax


def _issues(out: str) -> list[dict]:
    return [i for f in json.loads(out)["files"] for i in f["issues"] if i["rule"] == "semantic-taxonomy"]


def test_labels_outside_the_taxonomy_are_flagged_naming_prim_and_label(odd, run_cli):
    stage, tax = odd
    r = run_cli("validate", stage, "--taxonomy", tax, "--rules", "semantic-taxonomy", "--format", "json", expect=1)
    found = {(i["at"], i["attribute"], i["message"]) for i in _issues(r.output)}
    assert found == {
        ("/Site/PalletB", "semantics:labels:class", "label 'Pallet' (class) is not in taxonomy.yaml"),
        ("/Site/Worker", "semantics:labels:role", "label 'supervisor' (role) is not in taxonomy 'role' of "
                                                  "taxonomy.yaml"),
        ("/Site/Forklift", "semantic:Semantics_1:params:semanticData", "label 'fork-lift' (class) is not in "
                                                                        "taxonomy.yaml"),
        ("/Elsewhere/Drum", "semantics:labels:class", "label 'drum' (class) is not in taxonomy.yaml"),
    }  # pallet, person, and the legacy 'forklift' (a child in the hierarchy) are declared: not flagged
    hints = {i["at"]: i["suggestion"] for i in _issues(r.output)}
    assert hints["/Site/PalletB"].startswith("did you mean 'pallet'?")
    assert hints["/Site/Forklift"].startswith("did you mean 'forklift'?")


def test_a_stage_whose_labels_are_all_declared_passes(odd, run_cli, tmp_path):
    stage, _ = odd
    tax = tmp_path / "all.json"
    tax.write_text(json.dumps({"labels": ["pallet", "Pallet", "person", {"vehicle": ["forklift", "fork-lift"]},
                                          "drum"], "taxonomies": {"role": ["supervisor"]}}))
    r = run_cli("validate", stage, "--taxonomy", tax, "--rules", "semantic-taxonomy")
    assert "semantic-taxonomy" not in r.output


def test_without_taxonomy_the_rule_is_skipped(odd, run_cli):
    stage, _ = odd
    r = run_cli("validate", stage, "--rules", "semantic-taxonomy", "--format", "json")
    assert json.loads(r.output)["files"][0]["rules"] == [{"id": "semantic-taxonomy", "status": "skipped"}]


@pytest.mark.parametrize(("fmt", "needle"), [
    ("text", "/Site/PalletB"),
    ("junit", "label 'Pallet' (class) is not in taxonomy.yaml"),
    ("github", "title=semantic-taxonomy"),
])
def test_every_format_reports_the_drift(odd, run_cli, fmt, needle):
    stage, tax = odd
    r = run_cli("validate", stage, "--taxonomy", tax, "--rules", "semantic-taxonomy", "--format", fmt, expect=1)
    assert needle in r.output
    assert "'drum'" in r.output


def test_a_twinsplit_set_is_checked_source_once_and_the_labels_its_events_add(tmp_path, run_cli):
    scene = REPO / "sample_scenes" / "warehouse" / "warehouse.usda"
    cfg = tmp_path / "twin.yaml"
    cfg.write_text("seeds: {train: 3, holdout: 4}\nrandomize:\n  lighting:\n    intensity: {low: 0.5, high: 2.0, "
                   "operation: scale}\nevents:\n  person_enters_corridor: {region: aisle}\n")
    out = tmp_path / "out"
    run_cli("generate", scene, "--config", cfg, "--out", out, "--train", 2, "--holdout", 1)
    source_labels = ["bollard", "box", "drum", "floor", "forklift", "wheel", "light", "pallet", "shelf", "wall"]
    tax = tmp_path / "tax.yaml"
    tax.write_text(json.dumps(source_labels))  # YAML reads JSON; the set's people ('person') are not declared
    r = run_cli("validate", out, "--taxonomy", tax, "--rules", "semantic-taxonomy", "--format", "json", expect=1)
    report = json.loads(r.output)
    flagged = {(f["kind"], i["message"].split(" (")[0]) for f in report["files"] for i in f["issues"]}
    assert flagged == {("variant", "label 'person'")}
    assert {f["kind"] for f in report["files"] if f["issues"]} == {"variant"}
    tax.write_text(json.dumps(source_labels + ["person"]))
    run_cli("validate", out, "--taxonomy", tax, "--rules", "semantic-taxonomy")


@pytest.mark.parametrize(("text", "message"), [
    ("labels: [pallet, 3]", "taxonomy tax.yaml: labels[1]: expected a label (a non-empty string) or {parent: "
                            "[children]}, got 3"),
    ("labels: [pallet, {vehicle: [agv, pallet]}]", "labels[1].vehicle[1]: label 'pallet' is declared twice"),
    ("classes: [pallet]", "taxonomy tax.yaml: unknown key 'classes' (expected labels, taxonomies)"),
    ("pallet", "expected a list of labels or a mapping with labels/taxonomies, got str"),
    ("labels: [a\n b: [", "cannot parse taxonomy"),
    ("{}", "declares no labels"),
])
def test_a_malformed_taxonomy_is_a_usage_error_naming_the_entry(odd, run_cli, tmp_path, text, message):
    stage, _ = odd
    tax = tmp_path / "tax.yaml"
    tax.write_text(text)
    r = run_cli("validate", stage, "--taxonomy", tax, expect=2)
    assert message in r.output, r.output


LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAB-_", min_size=1, max_size=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(LABEL, min_size=1, max_size=6), declared=st.lists(LABEL, max_size=6, unique=True),
       up=st.sampled_from(["Y", "Z"]), mpu=st.sampled_from([0.01, 1.0]), legacy=st.booleans())
def test_exactly_the_undeclared_labels_are_flagged(tmp_path_factory, labels, declared, up, mpu, legacy):
    """Property: on any stage (cm or m, Y- or Z-up, no default prim), the flagged (prim, label) pairs are exactly
    the authored ones outside the taxonomy."""
    from twinsplit.validate import engine, registry
    from twinsplit.validate.taxonomy import parse

    tmp = tmp_path_factory.mktemp("tax")
    stage = Usd.Stage.CreateNew(str(tmp / "s.usda"))
    UsdGeom.SetStageUpAxis(stage, up)
    UsdGeom.SetStageMetersPerUnit(stage, mpu)
    expected = set()
    for i, label in enumerate(labels):
        prim = stage.DefinePrim(f"/R{i % 2}/P{i}", "Cube")
        if legacy:
            prim.CreateAttribute("semantic:Semantics:params:semanticData", Sdf.ValueTypeNames.String).Set(label)
        else:
            prim.CreateAttribute("semantics:labels:class", Sdf.ValueTypeNames.TokenArray).Set([label])
        if label not in declared:
            expected.add((f"/R{i % 2}/P{i}", label))
    stage.Save()
    rules = registry.select(["semantic-taxonomy"])
    report = engine.validate(engine.discover([tmp / "s.usda"]), rules, taxonomy=parse({"labels": declared}, "t"))
    assert {(i.at, i.message.split("'")[1]) for i in report.issues} == expected
