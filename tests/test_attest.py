import base64
import json
import stat

import pytest
from click.testing import CliRunner

from twinsplit.cli import main
from twinsplit.errors import TwinsplitError
from twinsplit.proof.attest import (
    PAYLOAD_TYPE,
    build_statement,
    check_subjects,
    generate_keypair,
    public_keyid,
    sign_statement,
    verify_envelope,
)

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64


@pytest.fixture
def keys(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return generate_keypair(tmp_path / "a"), generate_keypair(tmp_path / "b")


def statement():
    return build_statement({"train/t0.usda": H1, "holdout/h0.usda": H2}, {"seeds": {"train": 2**127}})


def test_statement_shape():
    st = statement()
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://twinsplit.dev/attestation/v1"
    assert [s["name"] for s in st["subject"]] == ["holdout/h0.usda", "train/t0.usda"]
    assert st["subject"][1]["digest"] == {"sha256": H1}
    with pytest.raises(TwinsplitError, match="sha256"):
        build_statement({"x": "not-a-digest"}, {"a": 1})


def test_round_trip(keys):
    (priv, pub), _ = keys
    st = statement()
    env = sign_statement(st, priv)
    assert env["payloadType"] == PAYLOAD_TYPE
    assert [s["keyid"] for s in env["signatures"]] == [public_keyid(pub)]
    assert json.loads(base64.b64decode(env["payload"])) == st
    json.dumps(env)  # JSON-able
    assert verify_envelope(env, pub) == st
    assert verify_envelope(env, pub)["predicate"]["seeds"]["train"] == 2**127  # no float loss
    assert sign_statement(st, priv) == env  # Ed25519 + canonical payload: deterministic


def test_wrong_key_refused(keys):
    (priv_a, _), (_, pub_b) = keys
    env = sign_statement(statement(), priv_a)
    with pytest.raises(TwinsplitError, match=f"signature does not verify with key {public_keyid(pub_b)}"):
        verify_envelope(env, pub_b)


def test_flipped_payload_byte_refused(keys):
    (priv, pub), _ = keys
    env = sign_statement(statement(), priv)
    raw = bytearray(base64.b64decode(env["payload"]))
    raw[len(raw) // 2] ^= 0x01
    tampered = dict(env, payload=base64.b64encode(bytes(raw)).decode())
    with pytest.raises(TwinsplitError, match="signature does not verify with key"):
        verify_envelope(tampered, pub)


def test_resigned_with_other_key_and_relabelled_fails(keys):
    (_, pub_a), (priv_b, _) = keys
    env = sign_statement(statement(), priv_b)
    # Attacker claims key A's id on a signature made with key B.
    forged = dict(env, signatures=[{"keyid": public_keyid(pub_a), "sig": env["signatures"][0]["sig"]}])
    with pytest.raises(TwinsplitError, match="signature does not verify with key"):
        verify_envelope(env, pub_a)
    with pytest.raises(TwinsplitError, match="signature does not verify with key"):
        verify_envelope(forged, pub_a)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda e: e.pop("payload"), "missing field 'payload'"),
        (lambda e: e.update(signatures=[]), "no signatures"),
        (lambda e: e.update(payloadType="text/plain"), "payloadType"),
        (lambda e: e["signatures"][0].update(sig="@@@"), "malformed envelope"),
    ],
)
def test_malformed_envelope(keys, mutate, message):
    (priv, pub), _ = keys
    env = sign_statement(statement(), priv)
    mutate(env)
    with pytest.raises(TwinsplitError, match=message):
        verify_envelope(env, pub)


def test_verify_does_not_mutate_input(keys):
    (priv, pub), _ = keys
    env = sign_statement(statement(), priv)
    before = json.dumps(env)
    verify_envelope(env, pub)
    assert json.dumps(env) == before


def test_check_subjects():
    st = build_statement({"a": H1, "b": H2, "c": H3}, {"x": 1})
    assert check_subjects(st, {"a": H1, "b": H2, "c": H3}) == []
    diff = check_subjects(st, {"a": H1, "b": H3, "d": H1})
    assert diff == [
        f"changed: b attested sha256 {H2}, actual sha256 {H3}",
        f"missing: c attested sha256 {H3}, file absent",
        f"extra: d actual sha256 {H1}, not attested",
    ]


def test_key_files(tmp_path):
    priv, pub = generate_keypair(tmp_path)
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert priv.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pub.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    old = priv.read_bytes()
    with pytest.raises(TwinsplitError, match="twinsplit.key already exists"):
        generate_keypair(tmp_path)
    assert priv.read_bytes() == old


def test_refuses_when_only_public_exists(tmp_path):
    (tmp_path / "twinsplit.pub").write_text("x")
    with pytest.raises(TwinsplitError, match="twinsplit.pub already exists"):
        generate_keypair(tmp_path)
    assert not (tmp_path / "twinsplit.key").exists()


def test_not_a_key_file(tmp_path, keys):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("hello")
    with pytest.raises(TwinsplitError, match="bogus.pem is not"):
        sign_statement(statement(), bogus)
    with pytest.raises(TwinsplitError, match="bogus.pem is not"):
        verify_envelope({"payload": "", "payloadType": PAYLOAD_TYPE, "signatures": []}, bogus)


def test_keygen_cli(tmp_path):
    out = tmp_path / "new" / "keys"
    runner = CliRunner()
    result = runner.invoke(main, ["keygen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out / "twinsplit.key") in result.output
    assert str(out / "twinsplit.pub") in result.output
    assert public_keyid(out / "twinsplit.pub") in result.output
    assert stat.S_IMODE((out / "twinsplit.key").stat().st_mode) == 0o600
    again = runner.invoke(main, ["keygen", "--out", str(out)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    missing = runner.invoke(main, ["keygen"])
    assert missing.exit_code == 2
