"""`twinsplit validate` end to end: selection, formats, exit codes, crash isolation, output dirs."""

from __future__ import annotations

import contextlib
import json
import re
import textwrap
from pathlib import Path

import jsonschema
import junitparser
import pytest
import yaml
from click.testing import CliRunner

from twinsplit.cli import main
from twinsplit.validate import registry
from twinsplit.validate.formats import escape_data, escape_property
from twinsplit.validate.issues import Severity

ROOT = Path(__file__).resolve().parents[1]

GOOD = """#usda 1.0
(
    defaultPrim = "World"
    metersPerUnit = 1
    kilogramsPerUnit = 1
    upAxis = "Z"
    startTimeCode = 0
    endTimeCode = 100
)
def Xform "World"
{
    def PhysicsScene "PhysicsScene" {}
    def Material "Steel" (prepend apiSchemas = ["PhysicsMaterialAPI"])
    {
        float physics:staticFriction = 0.6
        float physics:dynamicFriction = 0.5
        float physics:restitution = 0.1
    }
    def Cube "Floor" (prepend apiSchemas = ["PhysicsCollisionAPI", "MaterialBindingAPI"])
    {
        double size = 1
        rel material:binding:physics = </World/Steel>
        double3 xformOp:translate = (0, 0, -0.5)
        float3 xformOp:scale = (10, 10, 1)
        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:scale"]
    }
    def Cube "Crate" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "MaterialBindingAPI"])
    {
        double size = 1
        float physics:mass = 5
        rel material:binding:physics = </World/Steel>
        double3 xformOp:translate = (0, 0, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def Cube "Barrel" (prepend apiSchemas = ["PhysicsRigidBodyAPI", "PhysicsCollisionAPI", "PhysicsMassAPI", "MaterialBindingAPI"])
    {
        double size = 1
        float physics:mass = 5
        rel material:binding:physics = </World/Steel>
        double3 xformOp:translate = (3, 0, 0.5)
        uniform token[] xformOpOrder = ["xformOp:translate"]
    }
    def SphereLight "Lamp"
    {
        float inputs:intensity = 800
    }
}
"""  # noqa: E501

# Two errors (negative mass, restitution > 1) and one warning (a collider without a physics material).
BROKEN = GOOD.replace("float physics:mass = 5", "float physics:mass = -5", 1).replace(
    "physics:restitution = 0.1", "physics:restitution = 1.5").replace(
    '\n    def SphereLight "Lamp"',
    '\n    def Cube "Loose" (prepend apiSchemas = ["PhysicsCollisionAPI"])\n    {\n'
    '        double3 xformOp:translate = (9, 9, 9)\n        uniform token[] xformOpOrder = ["xformOp:translate"]\n    }'
    '\n    def SphereLight "Lamp"')

GITHUB_LINE = re.compile(r"^::(error|warning|notice) file=[^,]+(,line=\d+)?,title=[^:]+::.+$")


def invoke(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good, broken = tmp_path / "good.usda", tmp_path / "broken.usda"
    good.write_text(GOOD)
    broken.write_text(BROKEN)
    return {"good": good, "broken": broken}


def issues_of(result) -> list[dict]:
    return [i for f in json.loads(result.stdout)["files"] for i in f["issues"]]


# ---------------------------------------------------------------------------------------------- basics


def test_list_rules_lists_every_registry_id():
    result = invoke("--list-rules")
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == list(registry.load_builtin())
    assert {"units-authored", "no-interpenetration", "config-selectors", "nvidia:MassChecker",
            "nvidia:StageMetadataChecker", "nvidia:MissingReferenceChecker"} <= set(listed)


def test_every_rule_has_a_description_and_a_category():
    for info in registry.iter_rules():
        assert info.description and info.category and isinstance(info.severity, Severity), info.id


def test_clean_stage_exits_0_and_says_so(files):
    result = invoke(str(files["good"]))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 file, 0 errors, 0 warnings"


def test_text_report_groups_by_file_with_summary(files):
    result = invoke(str(files["good"]), str(files["broken"]))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith("broken.usda") and "good.usda" not in result.output  # clean files are quiet
    assert any("mass-valid" in line and "/World/Crate.physics:mass" in line for line in lines)
    # mass-valid, material-bounds, and the negative mass again from nvidia Mass/RigidBody/Collider checkers
    assert lines[-1] == "2 files, 5 errors, 1 warning"


def test_strict_makes_warnings_fail(files):
    args = ["--rules", "collider-material", str(files["broken"])]
    assert invoke(*args).exit_code == 0
    assert invoke("--strict", *args).exit_code == 1


def test_rules_and_skip_select_by_id_and_glob(files):
    only = invoke("--format", "json", "--rules", "mass-valid,material-bounds", str(files["broken"]))
    assert {i["rule"] for i in issues_of(only)} == {"mass-valid", "material-bounds"}
    ran = json.loads(only.stdout)["files"][0]["rules"]
    assert [r["id"] for r in ran] == ["mass-valid", "material-bounds"]

    skipped = invoke("--format", "json", "--skip", "nvidia:*", "--skip", "mass-valid", str(files["broken"]))
    rules = {i["rule"] for i in issues_of(skipped)}
    assert "mass-valid" not in rules and not any(r.startswith("nvidia:") for r in rules)
    assert "material-bounds" in rules

    one = invoke("--format", "json", "--skip", "nvidia:MassChecker", str(files["broken"]))
    assert "nvidia:MassChecker" not in {i["rule"] for i in issues_of(one)}


def test_unknown_rule_is_a_usage_error(files):
    result = invoke("--rules", "no-such-rule", str(files["good"]))
    assert result.exit_code == 2 and "unknown rule 'no-such-rule'" in result.output


def test_no_path_is_a_usage_error():
    result = invoke()
    assert result.exit_code == 2 and "give at least one stage" in result.output


def test_corrupt_file_exits_2_naming_it_and_others_still_run(files, tmp_path):
    bad = tmp_path / "bad.usda"
    bad.write_text('#usda 1.0\ndef Xform "World" {\n  double3 xformOp:translate = (0, 0\n}\n')
    result = invoke(str(bad), str(files["broken"]))
    assert result.exit_code == 2
    assert "cannot open stage" in result.stderr and "bad.usda" in result.stderr
    assert "mass-valid" in result.stdout  # the readable file was still validated and reported


def test_not_usd_at_all_exits_2(tmp_path):
    bad = tmp_path / "notes.usda"
    bad.write_bytes(b"\x00\x01 this is not usd")
    result = invoke(str(bad))
    assert result.exit_code == 2 and "notes.usda" in result.stderr


def test_folder_is_searched_recursively(files, tmp_path):
    sub = tmp_path / "nested" / "deeper"
    sub.mkdir(parents=True)
    (sub / "inner.usda").write_text(BROKEN)
    (tmp_path / "readme.txt").write_text("not a stage")
    result = invoke("--format", "json", str(tmp_path))
    names = sorted(Path(f["file"]).name for f in json.loads(result.stdout)["files"])
    assert names == ["broken.usda", "good.usda", "inner.usda"]
    assert result.exit_code == 1


def test_empty_folder_is_a_usage_error(tmp_path):
    result = invoke(str(tmp_path))
    assert result.exit_code == 2 and "no USD stages found" in result.output


def test_output_file_gets_the_report_and_stdout_the_summary(files, tmp_path):
    out = tmp_path / "reports" / "validate.json"
    result = invoke("--format", "json", "--output", str(out), str(files["broken"]))
    assert result.exit_code == 1
    assert result.stdout.strip() == "1 file, 5 errors, 1 warning"
    assert json.loads(out.read_text())["summary"]["errors"] == 5


# ---------------------------------------------------------------------------------------------- crash isolation


@contextlib.contextmanager
def registered_crasher():
    @registry.rule("test-crasher", "test", Severity.ERROR)
    class Crasher(registry.Rule):
        """A rule that always raises (test only)."""

        def check(self, ctx):
            yield self.issue(ctx, "found before crashing", "/World")
            raise RuntimeError("boom")

    try:
        yield "test-crasher"
    finally:
        registry.unregister("test-crasher")


@pytest.fixture
def crashing_rule():
    with registered_crasher() as rid:
        yield rid


def test_a_crashing_rule_is_reported_as_crash_and_the_others_still_run(files, crashing_rule):
    result = invoke("--format", "json", "--rules", f"{crashing_rule},mass-valid", str(files["broken"]))
    issues = issues_of(result)
    crash = [i for i in issues if i["severity"] == "crash"]
    assert len(crash) == 1 and crash[0]["rule"] == crashing_rule and "RuntimeError: boom" in crash[0]["message"]
    assert any(i["message"] == "found before crashing" for i in issues)  # partial findings are kept
    assert any(i["rule"] == "mass-valid" for i in issues)
    assert result.exit_code == 1


def test_registering_and_unregistering_a_rule_changes_the_cli_choices(files):
    with registered_crasher() as rid:
        assert rid in invoke("--list-rules").output
        assert invoke("--rules", rid, str(files["good"])).exit_code == 1  # it crashes: a crash fails CI
    assert rid not in invoke("--list-rules").output
    result = invoke("--rules", rid, str(files["good"]))
    assert result.exit_code == 2 and f"unknown rule {rid!r}" in result.output


# ---------------------------------------------------------------------------------------------- formats


def _check_against_schema(report: dict) -> None:
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "validate-report.schema.json").read_text()))


def test_json_matches_its_schema(files, crashing_rule, tmp_path):
    bad = tmp_path / "bad.usda"
    bad.write_text("#usda 1.0\n(((")
    result = invoke("--format", "json", str(files["broken"]), str(files["good"]), str(bad))
    report = json.loads(result.stdout)
    _check_against_schema(report)
    # 5 real errors in broken + the crasher's partial finding on both readable files; it crashes on both
    assert report["summary"] == {"files": 3, "errors": 7, "warnings": 1, "infos": 0, "crashes": 2, "unreadable": 1}
    assert [f["kind"] for f in report["files"]] == ["stage"] * 3


def test_junit_parses_one_suite_per_file_one_case_per_rule(files):
    result = invoke("--format", "junit", str(files["good"]), str(files["broken"]))
    xml = junitparser.JUnitXml.fromstring(result.stdout)
    suites = {s.name: s for s in xml}
    assert len(suites) == 2
    n_rules = len(registry.load_builtin())
    broken = next(s for name, s in suites.items() if name.endswith("broken.usda"))
    good = next(s for name, s in suites.items() if name.endswith("good.usda"))
    assert broken.tests == good.tests == n_rules
    failed = {case.name for case in broken if any(isinstance(r, junitparser.Failure) for r in case.result)}
    assert failed == {"mass-valid", "material-bounds", "nvidia:MassChecker", "nvidia:RigidBodyChecker",
                      "nvidia:ColliderChecker"}
    assert good.failures == 0 and good.errors == 0
    assert good.skipped == 2  # config-selectors without --config, semantic-taxonomy without --taxonomy
    case = next(c for c in broken if c.name == "mass-valid")
    assert "/World/Crate" in case.result[0].text


def test_github_annotations_match_the_workflow_command_grammar(files, crashing_rule):
    result = invoke("--format", "github", str(files["broken"]))
    lines = result.stdout.splitlines()
    assert lines and all(GITHUB_LINE.match(line) for line in lines), lines
    assert any(line.startswith("::error") and "title=mass-valid::" in line and "/World/Crate" in line for line in lines)
    assert any(line.startswith("::warning") and "title=collider-material::" in line for line in lines)
    assert any("title=nvidia%3AMassChecker::" in line for line in lines)  # ':' escaped in properties
    assert any(f"title={crashing_rule} (check crashed)::" in line for line in lines)
    assert result.exit_code == 1


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


# ---------------------------------------------------------------------------------------------- output dirs


def _variant(split: str, index: int, body: str, units: bool = True) -> str:
    meta = 'defaultPrim = "World"\n    metersPerUnit = 1\n    kilogramsPerUnit = 1\n    upAxis = "Z"\n' \
           '    startTimeCode = 0\n    endTimeCode = 100\n' if units else ""
    return (f'#usda 1.0\n(\n    {meta}    subLayers = [\n        @../source/scene.usda@\n    ]\n)\n\n'
            + textwrap.dedent(body))


def make_output_dir(root: Path) -> Path:
    """What `twinsplit generate` writes, by hand: copied source, delta layers, manifest.json."""
    out = root / "out"
    (out / "source").mkdir(parents=True)
    (out / "train").mkdir()
    (out / "holdout").mkdir()
    # The source carries one warning (Loose has no physics material) that variants must not repeat.
    source = BROKEN.replace("float physics:mass = -5", "float physics:mass = 5").replace(
        "physics:restitution = 1.5", "physics:restitution = 0.1")
    (out / "source" / "scene.usda").write_text(source)
    variants = {
        ("train", 0): _variant("train", 0, """
            over "World" {
                over "Steel" {
                    float physics:staticFriction = 2.5
                }
            }
            """),
        ("train", 1): _variant("train", 1, """
            over "World" {
                over "Barrel" {
                    double3 xformOp:translate = (0.5, 0, 0.5)
                }
            }
            """),
        ("holdout", 0): _variant("holdout", 0, """
            over "World" {
                def Xform "Person" {
                    double3 xformOp:translate.timeSamples = { 0: (5, 5, 0), 150: (6, 5, 0) }
                    uniform token[] xformOpOrder = ["xformOp:translate"]
                }
                over "Lamp" {
                    float inputs:intensity = 900
                }
            }
            """),
        ("holdout", 1): _variant("holdout", 1, """
            over "World" {
                over "Lamp" {
                    float inputs:intensity = 700
                }
            }
            """, units=False),
    }
    entries = []
    for (split, i), text in variants.items():
        rel = f"{split}/{split}-{i:05d}.usda"
        (out / rel).write_text(text)
        entries.append({"id": f"{split}-{i:05d}", "split": split, "path": rel})
    manifest = {"source": {"root": "source/scene.usda", "layers": [{"path": "source/scene.usda", "sha256": "0" * 64}]},
                "variants": entries}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_output_dir_validates_source_once_and_variants_by_delta(tmp_path):
    out = make_output_dir(tmp_path)
    result = invoke("--format", "json", str(out))
    report = json.loads(result.stdout)
    files = {Path(f["file"]).name: f for f in report["files"]}
    assert [f["kind"] for f in report["files"]] == ["source", "variant", "variant", "variant", "variant"]

    def by_rule(name):
        return {(i["rule"], i["at"], i["attribute"]) for i in files[name]["issues"]}

    assert by_rule("scene.usda") == {("collider-material", "/World/Loose", None)}
    # Each variant reports only what its delta changed: the source's warning is not repeated.
    assert by_rule("train-00000.usda") == {("material-bounds", "/World/Steel", "physics:staticFriction")}
    [overlap] = files["train-00001.usda"]["issues"]
    assert overlap["rule"] == "no-interpenetration" and {"/World/Barrel", "/World/Crate"} <= set(
        overlap["message"].replace(" ", "\n").split("\n"))
    assert by_rule("holdout-00000.usda") == {("time-samples-in-range", "/World/Person", "xformOp:translate"),
                                             ("time-sampled-default", "/World/Person", "xformOp:translate")}
    units = {i["message"] for i in files["holdout-00001.usda"]["issues"] if i["rule"] == "units-authored"}
    assert "metersPerUnit is not authored on the variant's delta layer" in units
    # The NVIDIA validator and whole-stage rules ran on the source only.
    for f in report["files"][1:]:
        status = {r["id"]: r["status"] for r in f["rules"]}
        assert status["nvidia:MassChecker"] == "skipped" and status["physics-scene"] == "skipped"
        assert status["material-bounds"] == "ran"
    assert {r["id"]: r["status"] for r in report["files"][0]["rules"]}["nvidia:MassChecker"] == "ran"
    assert result.exit_code == 1


def test_output_dir_inside_a_folder_is_not_also_validated_as_loose_stages(tmp_path):
    make_output_dir(tmp_path)
    (tmp_path / "other.usda").write_text(GOOD)
    report = json.loads(invoke("--format", "json", str(tmp_path)).stdout)
    kinds = sorted((Path(f["file"]).name, f["kind"]) for f in report["files"])
    assert ("other.usda", "stage") in kinds and ("scene.usda", "source") in kinds
    assert sum(1 for _, k in kinds if k == "variant") == 4 and len(kinds) == 6


def test_output_dir_with_missing_variant_file_exits_2(tmp_path):
    out = make_output_dir(tmp_path)
    (out / "train" / "train-00000.usda").unlink()
    result = invoke(str(out))
    assert result.exit_code == 2 and "train-00000.usda" in result.stderr


def test_output_dir_with_a_broken_manifest_exits_2(tmp_path):
    out = make_output_dir(tmp_path)
    (out / "manifest.json").write_text("{not json")
    result = invoke(str(out))
    assert result.exit_code == 2 and "manifest.json" in result.stderr


def test_delta_paths_ignore_bare_container_overs(tmp_path):
    from pxr import Sdf

    from twinsplit.validate.engine import delta_paths

    p = tmp_path / "delta.usda"
    p.write_text(textwrap.dedent("""\
        #usda 1.0
        over "World" {
            over "Shelf" {
                over "Box" {
                    float physics:mass = 3
                }
            }
            def Xform "Person" {
                def Capsule "Body" {}
            }
            over "Gate" (active = false) {}
        }
        """))
    got = [str(x) for x in delta_paths(Sdf.Layer.FindOrOpen(str(p)))]
    assert got == ["/World/Gate", "/World/Person", "/World/Person/Body", "/World/Shelf/Box"]


def test_variant_narrowing_the_time_range_is_checked_against_untouched_source_samples(tmp_path):
    out = make_output_dir(tmp_path)
    src = out / "source" / "scene.usda"
    src.write_text(src.read_text().replace(
        "float inputs:intensity = 800", "float inputs:intensity = 800\n        custom bool "
                                        "twinsplit:alarm:active.timeSamples = { 0: 0, 80: 1 }"))
    narrow = _variant("holdout", 2, """
        over "World" {
            over "Crate" {
                float physics:mass = 6
            }
        }
        """).replace("endTimeCode = 100", "endTimeCode = 50")
    (out / "holdout" / "holdout-00002.usda").write_text(narrow)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["variants"].append({"id": "holdout-00002", "split": "holdout", "path": "holdout/holdout-00002.usda"})
    (out / "manifest.json").write_text(json.dumps(manifest))
    report = json.loads(invoke("--format", "json", "--rules", "time-samples-in-range", str(out)).stdout)
    files = {Path(f["file"]).name: f["issues"] for f in report["files"]}
    assert files["scene.usda"] == []  # 80 is inside the source's [0, 100]
    [issue] = files["holdout-00002.usda"]
    assert ((issue["at"], issue["attribute"]) == ("/World/Lamp", "twinsplit:alarm:active")
            and "[0, 50]" in issue["message"])
    assert files["train-00000.usda"] == []  # same range as the source: no finding


def test_pre_commit_hook_definition():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == ("twinsplit-validate", "twinsplit validate", "python")
    pattern = re.compile(hook["files"])
    assert all(pattern.search(f"a/b.{ext}") for ext in ("usd", "usda", "usdc", "usdz"))
    assert not pattern.search("notes.usdx") and not pattern.search("a.txt")


def test_importing_twinsplit_does_not_import_the_nvidia_validator():
    import subprocess
    import sys

    code = ("import sys, twinsplit.cli, twinsplit.validate, twinsplit.validate.engine; "
            "print('omni.asset_validator' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_variant_whose_source_sublayer_is_gone_is_an_error(tmp_path):
    out = make_output_dir(tmp_path)
    v = out / "train" / "train-00000.usda"
    v.write_text(v.read_text().replace("@../source/scene.usda@", "@../source/renamed.usda@"))
    report = json.loads(invoke("--format", "json", str(out)).stdout)
    issues = next(f["issues"] for f in report["files"] if f["file"].endswith("train-00000.usda"))
    assert [i["rule"] for i in issues if i["severity"] == "error"] == ["sublayers-resolve"]
    assert "renamed.usda" in issues[0]["message"]


def test_sealed_output_dir_validates_its_train_side_and_the_vault_separately(tmp_path, run_cli):
    """A sealed set keeps its holdout outside OUT: validate OUT must not look for holdout files inside it."""
    from stages import CONFIG, write

    src = write(tmp_path)
    cfg = tmp_path / "sealed.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    out, vault = tmp_path / "out", tmp_path / "vault"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 2, "--holdout", 2,
            "--seal", tmp_path / "seal.key", "--holdout-out", vault)
    (out / "attestation.json").write_text("{}")  # a signed set's extra file is not a stage
    report = json.loads(run_cli("validate", out, "--format", "json", "--skip", "nvidia:*", expect=0).output)
    assert [(Path(f["file"]).name, f["kind"]) for f in report["files"]] == [
        ("scene.usda", "source"), ("train-00000.usdc", "variant"), ("train-00001.usdc", "variant")]
    # the vault is a folder of stages (no manifest): its layers still find the source copied beside them
    report = json.loads(run_cli("validate", vault, "--format", "json", "--skip", "nvidia:*", expect=0).output)
    assert sorted(Path(f["file"]).name for f in report["files"]) == [
        "holdout-00000.usdc", "holdout-00001.usdc", "scene.usda"]


def test_a_folder_with_another_tools_manifest_json_is_a_folder_of_stages(tmp_path):
    """Only a twinsplit manifest makes a folder an output dir: an asset pack's own manifest.json must not hide
    its stages (it made validate exit 2 with "KeyError: 'source'")."""
    pack = tmp_path / "scenes" / "pack"
    pack.mkdir(parents=True)
    (pack / "good.usda").write_text(GOOD)
    (pack / "manifest.json").write_text(json.dumps({"name": "asset pack", "version": "1.0", "files": ["good.usda"]}))
    result = invoke("--format", "json", str(tmp_path / "scenes"))
    assert result.exit_code == 0, result.output
    assert [(Path(f["file"]).name, f["kind"]) for f in json.loads(result.stdout)["files"]] == [("good.usda", "stage")]


def test_crate_and_package_stages_validate_like_text_ones(tmp_path):
    """A .usdc (binary crate) and a .usdz package of the broken stage report the same findings as its .usda."""
    from pxr import Usd, UsdUtils

    src = tmp_path / "broken.usda"
    src.write_text(BROKEN)
    stage = Usd.Stage.Open(str(src))  # keep it open: the layer is held weakly
    stage.GetRootLayer().Export(str(tmp_path / "broken.usdc"))
    assert UsdUtils.CreateNewUsdzPackage(str(tmp_path / "broken.usdc"), str(tmp_path / "broken.usdz"))
    result = invoke("--format", "json", "--skip", "nvidia:*", str(tmp_path))
    assert result.exit_code == 1
    files = {Path(f["file"]).suffix: {(i["rule"], i["at"], i["attribute"]) for i in f["issues"]}
             for f in json.loads(result.stdout)["files"]}
    assert set(files) == {".usda", ".usdc", ".usdz"} and files[".usda"]
    assert files[".usdc"] == files[".usda"] == files[".usdz"]
