"""verify's checks as registered units: ids and descriptions, declared inputs and their order, structured findings,
"failed" vs "crashed", and event kinds' own leak signatures."""

import dataclasses
import json
from contextlib import contextmanager

import pytest
from pxr import Sdf

from twinsplit.errors import TwinsplitError
from twinsplit.verify import core
from twinsplit.verify.core import CheckInfo, check, ordered

BUILTIN_ORDER = ["files", "hashes", "config", "purpose", "generator", "seal", "rederive", "disjointness",
                 "holdout-source", "distance", "attestation", "croissant",
                 "holdout-only events", "events parked", "people clear", "stakes", "anchors", "layout", "simcheck"]


@contextmanager
def registered(id, fn, **kw):
    """A check registered for one test (the registry is process-wide)."""
    core.load_builtin()
    check(id, **kw)(fn)
    try:
        yield id
    finally:
        core.unregister(id)


def _edit_manifest(out, fn):
    p = out / "manifest.json"
    m = json.loads(p.read_text())
    fn(m)
    p.write_text(json.dumps(m, indent=2))


def _names(run_cli, out, *args, expect=0):
    data = json.loads(run_cli("verify", out, "--json", *args, expect=expect).output)
    return [c["name"] for c in data["checks"]], {c["name"]: c for c in data["checks"]}


# ------------------------------------------------------------------------------------------- registry and order

def test_builtin_checks_run_in_todays_order_and_list_with_their_descriptions(run_cli):
    assert [i.id for i in ordered(core.load_builtin().values())] == BUILTIN_ORDER
    lines = run_cli("verify", "--list-checks").output.splitlines()  # no OUT needed
    assert [ln.split("  ")[0].strip() for ln in lines] == BUILTIN_ORDER
    rederive = next(ln for ln in lines if ln.startswith("rederive"))
    assert "Re-run the whole plan from seeds + config + the copied source" in rederive


def test_a_check_runs_after_the_check_providing_its_input_whatever_its_order(generated, run_cli):
    seen = {}

    def needs_plan(ctx, c):
        """Reads the re-derived plan."""
        seen["splits"] = sorted(ctx.plan.splits)

    with registered("test-needs-plan", needs_plan, needs=("plan",), order=1):
        names, _ = _names(run_cli, generated)
    assert seen == {"splits": ["holdout", "train"]}
    # order=1 would put it first; its input puts it right after rederive, before the next tie (disjointness)
    assert names[names.index("rederive") + 1] == "test-needs-plan"
    assert [n for n in names if n != "test-needs-plan"] == BUILTIN_ORDER


def test_a_check_whose_input_was_not_produced_is_skipped_naming_it(generated, run_cli):
    _edit_manifest(generated, lambda m: m["config"]["body"].update(colour="red"))  # the body no longer parses
    result = run_cli("verify", generated, expect=1)
    assert "FAIL  config" in result.output
    assert "skip  rederive: needs config, which the config check did not produce (fail)" in result.output
    assert "skip  disjointness: needs plan, which the rederive check did not produce (skip)" in result.output
    _, checks = _names(run_cli, generated, expect=1)
    assert checks["layout"]["status"] == "skip" and checks["layout"]["detail"].startswith("needs config")


def test_an_input_its_provider_passed_without_is_a_skip_not_a_failure(generated, run_cli):
    """`seal` passes on an unsealed set and has no holdout entropy to give: a check needing it is skipped."""

    def needs_key(ctx, c):
        """Uses the revealed holdout entropy."""
        raise AssertionError("must not run")

    with registered("test-needs-key", needs_key, needs=("holdout_entropy",)):
        result = run_cli("verify", generated)
    assert "skip  test-needs-key: needs holdout_entropy, which the seal check did not produce (skip)\n" in result.output


def _info(id, needs=(), uses=(), provides=(), order=1000):
    def fn(ctx, c):
        """A check."""
    return CheckInfo(id, fn, needs, uses, provides, order)


def test_ordering_ties_cycles_and_undeclared_inputs():
    a, b = _info("a", provides=("config",), order=5), _info("b", needs=("config",), order=1)
    c = _info("c", uses=("config",), order=2)
    assert [i.id for i in ordered([b, c, a])] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="'b' needs config, which no check provides"):
        ordered([b])
    with pytest.raises(ValueError, match="config is provided by both check 'a' and check 'x'"):
        ordered([a, _info("x", provides=("config",))])
    loop = [_info("p", needs=("plan",), provides=("config",)), _info("q", needs=("config",), provides=("plan",))]
    with pytest.raises(ValueError, match="checks p, q depend on each other in a cycle"):
        ordered(loop)


def test_registration_needs_a_docstring_a_fresh_id_and_real_inputs():
    def undocumented(ctx, c):
        pass

    with pytest.raises(ValueError, match="needs a docstring"):
        check("test-undocumented")(undocumented)
    with pytest.raises(ValueError, match="'files' is registered twice"):
        core.load_builtin()
        check("files")(lambda ctx, c: None)
    with pytest.raises(ValueError, match="plans is not one of the inputs checks provide"):
        check("test-typo", needs=("plans",))
    assert "test-undocumented" not in core.CHECKS


# ---------------------------------------------------------------------------------------- failed versus crashed

def test_a_crash_is_reported_as_such_and_the_other_checks_still_run(generated, run_cli):
    def crashes(ctx, c):
        """Finds something, then raises."""
        c.fail("found before crashing", file="train/train-00000.usda")
        raise RuntimeError("boom")

    def fails(ctx, c):
        """Raises the error a malformed output gives."""
        raise TwinsplitError("this output is malformed")

    with registered("test-crasher", crashes, order=15), registered("test-failer", fails, order=16):
        result = run_cli("verify", generated, expect=1)
        _, checks = _names(run_cli, generated, expect=1)
    lines = result.output.splitlines()
    at = lines.index("CRASH test-crasher")
    assert lines[at + 1:at + 4] == ["      train/train-00000.usda: found before crashing",
                                    "      check crashed on this output (RuntimeError: boom)",
                                    "FAIL  test-failer"]
    assert lines[at + 4] == "      this output is malformed"
    assert "ok    hashes" in lines and "ok    rederive: 16 variants re-derived" in lines  # ran after the crash
    assert lines[-1] == "verification FAILED"
    assert checks["test-crasher"]["status"] == "crash" and checks["test-crasher"]["ok"] is False
    assert checks["test-crasher"]["problems"][1] == "check crashed on this output (RuntimeError: boom)"
    assert checks["test-failer"]["status"] == "fail"
    assert checks["test-failer"]["findings"] == [{"check": "test-failer", "file": None, "prim": None,
                                                  "attribute": None, "message": "this output is malformed"}]


# ------------------------------------------------------------------------------------------------------ findings

def test_json_findings_name_file_prim_and_attribute(generated_usda, run_cli):
    p = generated_usda / "train" / "train-00003.usda"  # edited as text
    text = p.read_text()
    edited = text.replace("float physics:staticFriction = ", "float physics:staticFriction = 0.5 #", 1)
    assert edited != text
    p.write_text(edited)
    (generated_usda / "train" / "extra.usda").write_text("#usda 1.0\n")
    data = json.loads(run_cli("verify", generated_usda, "--json", expect=1).output)
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["files"]["findings"] == [{"check": "files", "file": "train/extra.usda", "prim": None,
                                            "attribute": None, "message": "present but not listed in the manifest"}]
    assert checks["hashes"]["findings"][0]["file"] == "train/train-00003.usda"
    (value,) = [f for f in checks["rederive"]["findings"] if f["file"] == "train/train-00003.usda"]
    assert value["attribute"] == "physics:staticFriction" and value["prim"].startswith("/World/")
    assert value["message"].startswith(f"{value['prim']}.physics:staticFriction is 0.5, the seeds give ")
    for c in data["checks"]:  # `problems` stays: the printed lines, file first
        assert c["problems"] == [f"{f['file']}: {f['message']}" if f["file"] else f["message"] for f in c["findings"]]
        assert c["status"] == ("fail" if c["findings"] else "skip" if c["skipped"] else "ok")


# ---------------------------------------------------------------------------------- holdout-only leak signatures

@pytest.fixture(scope="module")
def alarm_set(tmp_path_factory):
    """A hospital-corridor set whose alarm_reroute kind is holdout-only."""
    from click.testing import CliRunner

    from conftest import REPO
    from twinsplit.cli import main

    tmp = tmp_path_factory.mktemp("alarm")
    cfg = tmp / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nevents:\n  person_enters_corridor: {}\n"
                   "  alarm_reroute: {holdout_only: true}\n")
    scene = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"
    result = CliRunner().invoke(main, ["generate", str(scene), "--config", str(cfg), "--out", str(tmp / "o"),
                                       "--train", "2", "--holdout", "1"])
    assert result.exit_code == 0, result.output
    return tmp / "o"


def _leak(out, dest, what):
    """Copy of the set whose train-00000 layer carries a trace of the holdout-only alarm, with no twinsplit:event
    tag naming it."""
    import shutil

    shutil.copytree(out, dest)
    path = dest / "train" / "train-00000.usdc"
    train = Sdf.Layer.FindOrOpen(str(path))
    if what == "prim":  # the alarm's event prim alone, no attribute of it
        Sdf.CreatePrimInLayer(train, "/World/TwinsplitEvents/Alarm_0").specifier = Sdf.SpecifierDef
    else:  # the alarm's state attribute on a light, on a prim of its own
        spec = Sdf.CreatePrimInLayer(train, "/World/Lights/Corridor_6")
        Sdf.AttributeSpec(spec, "twinsplit:alarm:active", Sdf.ValueTypeNames.Bool).custom = True
    train.Save()
    # untagged: only the kind's signature gives it away
    assert "alarm_reroute" not in Sdf.Layer.OpenAsAnonymous(str(path)).ExportToString()
    return dest


@pytest.mark.parametrize("what, prim, attribute", [
    ("prim", "/World/TwinsplitEvents/Alarm_0", None),
    ("attribute", "/World/Lights/Corridor_6", "twinsplit:alarm:active"),
])
def test_a_holdout_only_kinds_untagged_prim_or_attribute_in_a_train_layer_is_caught(
        alarm_set, tmp_path, run_cli, what, prim, attribute):
    assert "ok    holdout-only events: 2 train layers free of" in run_cli("verify", alarm_set).output
    out = _leak(alarm_set, tmp_path / "leaked", what)
    result = run_cli("verify", out, expect=1)
    where = f"{prim}.{attribute}" if attribute else prim
    assert (f"FAIL  holdout-only events\n      train/train-00000.usdc: contains holdout-only alarm_reroute at "
            f"{where}\n") in result.output
    checks = {c["name"]: c for c in json.loads(run_cli("verify", out, "--json", expect=1).output)["checks"]}
    assert checks["holdout-only events"]["findings"] == [
        {"check": "holdout-only events", "file": "train/train-00000.usdc", "prim": prim, "attribute": attribute,
         "message": f"contains holdout-only alarm_reroute at {where}"}]


def test_a_kind_registered_at_runtime_is_checked_by_its_own_leak_signature(tmp_path):
    """No table in verify names the kinds: registering one with a LeakSignature is all verify needs."""
    from twinsplit.blocks.registry import LeakSignature
    from twinsplit.verify.checks.events import _event_kinds, layer_findings
    from twinsplit.write.readback import layer_values

    events = _event_kinds()
    kind = dataclasses.replace(events["zone_access_change"], name="test_lockdown",
                               leak=LeakSignature(attrs=("twinsplit:lockdown:sealed",), prim_prefix="Lockdown"))
    layer = tmp_path / "train-00000.usda"
    layer.write_text('#usda 1.0\nover "World"\n{\n    over "Door"\n    {\n'
                     '        custom bool twinsplit:lockdown:sealed = 1\n    }\n\n'
                     '    over "TwinsplitEvents"\n    {\n        def Xform "Lockdown_block_0"\n        {\n        }\n'
                     '        def Xform "Zone_0"\n        {\n        }\n    }\n}\n')
    values, _ = layer_values(layer)
    assert layer_findings(values, {"test_lockdown"}, set()) == []  # not registered: nothing to know it by
    events.register(kind)
    try:
        assert layer_findings(values, {"test_lockdown"}, set()) == [
            ("test_lockdown", "/World/Door", "twinsplit:lockdown:sealed"),
            ("test_lockdown", "/World/TwinsplitEvents/Lockdown_block_0", None)]
    finally:
        events.pop("test_lockdown")


def test_the_report_table_shows_a_crash_apart_from_a_failure():
    from twinsplit.report.page import checks_html
    from twinsplit.verify.core import Check

    crashed, failed = Check("a", crashed=True), Check("b")
    crashed.fail("check crashed on this output (KeyError: 'x')")
    failed.fail("sha256 differs", file="train/train-00000.usda")
    html = checks_html([crashed, failed, Check("c", skipped=True)])
    assert '<td>a</td><td><span class="fail">CRASH</span></td>' in html
    assert '<td>b</td><td><span class="fail">FAIL</span></td>' in html and "<li>train/train-00000.usda: sha256" in html
    assert '<td>c</td><td><span class="skip">skip</span></td>' in html


def test_a_set_from_another_generator_revision_is_reported_as_such(generated, run_cli):
    """A set written by an older generator fails one check naming both revisions; nothing is re-derived (no wall of
    value differences)."""
    _edit_manifest(generated, lambda m: m["tool"].update(generator="1", version="0.1.0"))
    result = run_cli("verify", generated, expect=1)
    assert "FAIL  generator" in result.output
    assert "generator revision 1" in result.output and "pip install twinsplit==0.1.0" in result.output
    assert "skip  rederive: needs generator" in result.output
    assert "the seeds give" not in result.output
