"""Issue 6: out-of-distribution regions, sealed holdout (commit-reveal), signed attestation."""

import json
import shutil

import pytest

from stages import OOD, edit_first, write


def values(out, split):
    m = json.loads((out / "manifest.json").read_text())
    return [json.loads((out / v["values_path"]).read_text()) for v in m["variants"] if v["split"] == split]


def test_ood_train_never_inside_holdout_region(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(OOD)
    out = tmp_path / "o"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 40, "--holdout", 8)
    keys = ["/World/Materials/Rubber.physics:staticFriction", "/World/Materials/Steel.physics:staticFriction"]
    for v in values(out, "train"):  # a box over both materials: train may not have both inside it
        assert not all(0.05 <= v[k] <= 0.25 for k in keys)
    for v in values(out, "holdout"):
        assert all(0.05 <= v[k] <= 0.25 for k in keys)
    m = json.loads((out / "manifest.json").read_text())
    assert m["disjointness"]["ood"] == {"regions": ["slippery"], "train_inside": 0, "holdout_outside": 0}
    assert "ood: 0 train inside" in run_cli("verify", out).output


def test_ood_region_naming_no_parameter_is_an_error(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(OOD.replace("{static_friction: {low: 0.05", "{staticfriction: {low: 0.05"))
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert "holdout_regions['slippery']: 'staticfriction' matches no parameter" in result.output


def test_ood_without_anything_held_out_is_an_error(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("splits: {mode: ood}\nrandomize:\n  physics_materials:\n    restitution: {low: 0, high: 1}\n")
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert "nothing is held out" in result.output


def test_regions_outside_ood_mode_are_refused(tmp_path, run_cli):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(OOD.replace("mode: ood", "mode: iid"))
    result = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2, expect=1)
    assert "holdout_regions are only used with mode: ood" in result.output


@pytest.fixture
def sealed(tmp_path, run_cli):
    from stages import CONFIG

    src = write(tmp_path)
    cfg = tmp_path / "sealed.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    out, hold, key = tmp_path / "out", tmp_path / "vault" / "holdout", tmp_path / "vault" / "seal.key"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 6, "--holdout", 3,
            "--seal", key, "--holdout-out", hold)
    return out, hold, key


def test_sealed_out_holds_no_holdout_values(sealed):
    out, hold, key = sealed
    m = json.loads((out / "manifest.json").read_text())
    assert set(m["seeds"]["holdout"]) == {"commitment"} and m["seeds"]["holdout"]["commitment"].startswith("sha256:")
    assert not (out / "holdout").exists() and len(list((hold / "holdout").glob("*.usdc"))) == 3
    assert m["distance"] == {"sealed": True}
    assert str(json.loads(key.read_text())["holdout_entropy"]) not in (out / "manifest.json").read_text()
    assert oct(key.stat().st_mode & 0o777) == "0o600"


def test_sealed_out_verifies_without_key_elsewhere(sealed, tmp_path, run_cli):
    out, hold, key = sealed
    moved = tmp_path / "shared-with-trainer"
    shutil.copytree(out, moved)
    result = run_cli("verify", moved)
    assert "commitment well formed" in result.output and "train only: holdout sealed" in result.output


def test_sealed_verifies_fully_with_key(sealed, run_cli):
    out, hold, key = sealed
    result = run_cli("verify", out, "--holdout", hold, "--reveal", key)
    assert "revealed key matches the commitment" in result.output and "9 variants re-derived" in result.output
    assert "ok    disjointness" in result.output


def test_wrong_key_is_refused(sealed, tmp_path, run_cli):
    from twinsplit.proof.seal import SealKey, new_salt, read_key, write_key

    out, hold, key = sealed
    real = read_key(key)
    wrong = tmp_path / "wrong.key"
    write_key(wrong, SealKey(real.entropy + 1, new_salt()))
    result = run_cli("verify", out, "--holdout", hold, "--reveal", wrong, expect=1)
    assert "revealed key does not match the commitment" in result.output


def test_edited_sealed_holdout_file_fails_on_reveal(sealed, run_cli):
    out, hold, key = sealed
    edit_first(hold / "holdout" / "holdout-00001.usdc", "physics:restitution", 0.4)
    result = run_cli("verify", out, "--holdout", hold, "--reveal", key, expect=1)
    assert "holdout/holdout-00001.usdc: " in result.output and "physics:restitution is 0.4" in result.output


def test_seal_refuses_guessable_seed_existing_key_and_holdout_inside_out(small, tmp_path, run_cli):
    src, cfg = small
    r = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2,
                "--seal", tmp_path / "k0", "--holdout-out", tmp_path / "h", expect=1)
    assert "unguessable entropy" in r.output and not (tmp_path / "k0").exists()
    key = tmp_path / "k"
    key.write_text("x")
    r = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2,
                "--seal", key, "--holdout-out", tmp_path / "h", expect=1)
    assert "already exists" in r.output and not (tmp_path / "o").exists()
    r = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2,
                "--seal", tmp_path / "k2", "--holdout-out", tmp_path / "o" / "h", expect=1)
    assert "must be outside --out" in r.output
    r = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 2,
                "--seal", tmp_path / "k3", expect=1)
    assert "--seal and --holdout-out go together" in r.output


@pytest.fixture
def signed(tmp_path, small, run_cli):
    src, cfg = small
    run_cli("keygen", "--out", tmp_path / "keys")
    out = tmp_path / "out"
    run_cli("generate", src, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2,
            "--sign", tmp_path / "keys" / "twinsplit.key")
    return out, tmp_path / "keys" / "twinsplit.pub"


def test_signed_set_verifies_with_public_key(signed, run_cli):
    out, pub = signed
    result = run_cli("verify", out, "--pubkey", pub)
    assert "ok    attestation: signature valid" in result.output


@pytest.mark.parametrize("target", ["manifest.json", "train/train-00001.usdc", "holdout/holdout-00000.values.json",
                                    "source/scene.usda"])
def test_every_file_edit_breaks_the_signature_check(signed, run_cli, target):
    out, pub = signed
    p = out / target
    p.write_bytes(p.read_bytes() + b"\n")
    result = run_cli("verify", out, "--pubkey", pub, expect=1)
    assert f"changed: {target}" in result.output


def test_resigned_with_another_key_fails_against_published_key(signed, tmp_path, run_cli):
    from twinsplit.proof.attest import sign_output

    out, pub = signed
    run_cli("keygen", "--out", tmp_path / "mallory")
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "attestation.json").write_bytes(sign_output(out, manifest, tmp_path / "mallory" / "twinsplit.key"))
    result = run_cli("verify", out, "--pubkey", pub, expect=1)
    assert "signature does not verify with key" in result.output


def test_pubkey_without_attestation_fails(generated, tmp_path, run_cli):
    run_cli("keygen", "--out", tmp_path / "keys")
    result = run_cli("verify", generated, "--pubkey", tmp_path / "keys" / "twinsplit.pub", expect=1)
    assert "attestation.json: missing" in result.output


@pytest.mark.parametrize("problem", ["key dir missing", "bad signing key"])
def test_failed_sealed_run_leaves_nothing_behind(tmp_path, run_cli, problem):
    """A sealed run that fails writes no OUT, no holdout dir and no key: a commitment without its key
    (or a key without its set) could never be verified."""
    from stages import CONFIG

    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG.replace("seeds: {train: 11, holdout: 22}", "seeds: {train: 11}"))
    key, sign = tmp_path / "vault" / "seal.key", []
    if problem == "bad signing key":
        (tmp_path / "vault").mkdir()
        (tmp_path / "not-a-key").write_text("no key here")
        sign = ["--sign", tmp_path / "not-a-key"]
    r = run_cli("generate", src, "--config", cfg, "--out", tmp_path / "o", "--train", 2, "--holdout", 1,
                "--seal", key, "--holdout-out", tmp_path / "h", *sign, expect=1)
    assert isinstance(r.exception, SystemExit) and ("seal key" in r.output or "not-a-key" in r.output), r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["c.yaml", "scene.usda"] + (
        ["not-a-key", "vault"] if sign else []))
    assert not key.exists()


def test_ood_by_holdout_only_event_kind_alone_verifies(tmp_path, run_cli):
    """ood without parameter regions: the holdout is held out by a kind training never sees."""
    from conftest import REPO

    scene = REPO / "sample_scenes" / "hospital_corridor" / "hospital_corridor.usda"
    cfg = tmp_path / "c.yaml"
    cfg.write_text("seeds: {train: 1, holdout: 2}\nsplits: {mode: ood}\nrandomize:\n  physics_materials:\n"
                   "    restitution: {low: 0, high: 0.5}\nevents:\n  alarm_reroute: {holdout_only: true}\n")
    out = tmp_path / "o"
    run_cli("generate", scene, "--config", cfg, "--out", out, "--train", 4, "--holdout", 2)
    m = json.loads((out / "manifest.json").read_text())
    assert m["disjointness"]["ood"] == {"regions": [], "train_inside": 0, "holdout_outside": 0}
    assert m["disjointness"]["holds"] is True
    run_cli("verify", out)
