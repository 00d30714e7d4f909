import hashlib
import json
import stat

import pytest

from twinsplit.errors import TwinsplitError
from twinsplit.proof.seal import SealKey, check_reveal, commitment, new_salt, read_key, write_key

SALT = bytes(range(32))


@pytest.mark.parametrize(
    "entropy, encoded",
    [(0, b"\x00"), (255, b"\xff"), (256, b"\x01\x00"), (2**128 - 1, b"\xff" * 16)],
)
def test_commitment_recomputable_by_hand(entropy, encoded):
    assert commitment(entropy, SALT) == "sha256:" + hashlib.sha256(SALT + encoded).hexdigest()


def test_new_salt_is_fresh():
    a, b = new_salt(), new_salt()
    assert len(a) == 32 and a != b


def test_key_round_trip_and_mode(tmp_path):
    key = SealKey(2**127 + 12345, new_salt())
    path = tmp_path / "holdout.key"
    write_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    body = json.loads(path.read_text())
    assert body["version"] == 1
    assert body["holdout_entropy"] == str(2**127 + 12345)
    assert body["commitment"] == commitment(key.entropy, key.salt)
    assert read_key(path) == key
    with pytest.raises(TwinsplitError, match="already exists"):
        write_key(path, SealKey(1, SALT))
    assert read_key(path) == key


def test_check_reveal():
    key = SealKey(42, SALT)
    check_reveal(key, commitment(42, SALT))
    with pytest.raises(TwinsplitError, match="revealed key does not match the commitment"):
        check_reveal(SealKey(43, SALT), commitment(42, SALT))
    with pytest.raises(TwinsplitError, match="revealed key does not match the commitment"):
        check_reveal(SealKey(42, bytes(32)), commitment(42, SALT))
    with pytest.raises(TwinsplitError, match="malformed commitment"):
        check_reveal(key, "md5:abc")


@pytest.mark.parametrize(
    "content, problem",
    [
        ("{not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"version": 2}', "unsupported version 2"),
        ('{"version": 1, "holdout_entropy": 5, "salt": "00"}', "decimal string"),
        ('{"version": 1, "holdout_entropy": "-5", "salt": "00"}', "decimal string"),
        ('{"version": 1, "holdout_entropy": "5", "salt": "zz"}', "hex string"),
        ('{"version": 1, "holdout_entropy": "5", "salt": "0011"}', "salt must be 32 bytes"),
        (
            json.dumps({"version": 1, "holdout_entropy": "5", "salt": SALT.hex(),
                        "commitment": commitment(6, SALT)}),
            "commitment field does not match",
        ),
    ],
)
def test_malformed_key_file(tmp_path, content, problem):
    path = tmp_path / "bad.key"
    path.write_text(content)
    with pytest.raises(TwinsplitError, match=f"seal key .*bad.key: .*{problem}"):
        read_key(path)


def test_missing_key_file(tmp_path):
    with pytest.raises(TwinsplitError, match="cannot read seal key .*nope.key"):
        read_key(tmp_path / "nope.key")


def test_sealkey_validates():
    with pytest.raises(TwinsplitError):
        SealKey(-1, SALT)
    with pytest.raises(TwinsplitError):
        SealKey(1, b"short")
