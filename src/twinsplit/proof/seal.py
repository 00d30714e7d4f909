"""Commit–reveal for a sealed holdout: the manifest carries only a commitment to the holdout entropy;
the evaluation owner keeps the key file and later reveals it to `verify --reveal`."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TwinsplitError
from ..write.outdir import create_exclusive

SALT_BYTES = 32
KEY_VERSION = 1
_COMMITMENT = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class SealKey:
    """The secret half of a sealed holdout: the holdout root entropy and the salt of its commitment."""

    entropy: int
    salt: bytes

    def __post_init__(self) -> None:
        if isinstance(self.entropy, bool) or not isinstance(self.entropy, int) or self.entropy < 0:
            raise TwinsplitError(f"holdout entropy must be a non-negative integer, got {self.entropy!r}")
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_BYTES:
            raise TwinsplitError(f"seal salt must be {SALT_BYTES} bytes")


def new_salt() -> bytes:
    """32 fresh bytes from the OS CSPRNG."""
    return secrets.token_bytes(SALT_BYTES)


def entropy_bytes(entropy: int) -> bytes:
    """`entropy` as minimal big-endian unsigned bytes, at least one byte (0 -> b"\\x00")."""
    if entropy < 0:
        raise TwinsplitError(f"holdout entropy must be non-negative, got {entropy}")
    return entropy.to_bytes(max(1, (entropy.bit_length() + 7) // 8), "big")


def commitment(entropy: int, salt: bytes) -> str:
    """"sha256:" + lowercase hex of SHA-256(salt || E), where E is `entropy` as an unsigned big-endian
    integer in the fewest bytes that hold it, at least one byte (0 -> 00, 255 -> ff, 256 -> 01 00).

    Recompute by hand: `hashlib.sha256(salt + entropy.to_bytes(max(1, (entropy.bit_length() + 7) // 8),
    "big")).hexdigest()`. The salt (32 random bytes) keeps a low-entropy seed from being brute-forced.
    """
    return "sha256:" + hashlib.sha256(salt + entropy_bytes(entropy)).hexdigest()


def write_key(path: Path, key: SealKey) -> None:
    """Write the key file (JSON, mode 0600); refuses to overwrite an existing file."""
    body = {
        "version": KEY_VERSION,
        "holdout_entropy": str(key.entropy),  # a string: JSON readers lose precision on 128-bit ints
        "salt": key.salt.hex(),
        "commitment": commitment(key.entropy, key.salt),
    }
    create_exclusive(path, (json.dumps(body, indent=2) + "\n").encode(), 0o600, "seal key")


def read_key(path: Path) -> SealKey:
    """Read a key file written by `write_key`; any defect -> TwinsplitError naming the file."""

    def bad(problem: str) -> TwinsplitError:
        return TwinsplitError(f"seal key {path}: {problem}")

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TwinsplitError(f"cannot read seal key {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise bad("not UTF-8 text") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise bad("not a JSON object")
    if body.get("version") != KEY_VERSION:
        raise bad(f"unsupported version {body.get('version')!r} (expected {KEY_VERSION})")
    entropy, salt_hex = body.get("holdout_entropy"), body.get("salt")
    if not isinstance(entropy, str) or not entropy.isascii() or not entropy.isdigit():
        raise bad("holdout_entropy must be a decimal string")
    if not isinstance(salt_hex, str) or not re.fullmatch(r"[0-9a-fA-F]*", salt_hex):
        raise bad("salt must be a hex string")
    salt = bytes.fromhex(salt_hex) if len(salt_hex) % 2 == 0 else b""
    if len(salt) != SALT_BYTES:
        raise bad(f"salt must be {SALT_BYTES} bytes ({2 * SALT_BYTES} hex digits)")
    key = SealKey(int(entropy), salt)
    stored = body.get("commitment")
    if stored is not None and stored != commitment(key.entropy, key.salt):
        raise bad("its commitment field does not match its entropy and salt (file edited?)")
    return key


def check_reveal(key: SealKey, commitment_str: str) -> None:
    """Raise TwinsplitError unless `key` opens `commitment_str` (as recorded in the manifest)."""
    if not isinstance(commitment_str, str) or not _COMMITMENT.fullmatch(commitment_str):
        raise TwinsplitError(f"malformed commitment {commitment_str!r}; expected sha256:<64 hex>")
    actual = commitment(key.entropy, key.salt)
    if not hmac.compare_digest(actual, commitment_str):
        raise TwinsplitError(
            f"revealed key does not match the commitment: manifest has {commitment_str}, "
            f"the key gives {actual}"
        )


def seal_manifest(manifest: dict[str, Any], holdout_entropy: int):
    """Replace the holdout entropy by a commitment and drop holdout events; returns the key to write."""
    key = SealKey(holdout_entropy, new_salt())
    manifest["seeds"]["holdout"] = {"commitment": commitment(key.entropy, key.salt)}
    for v in manifest["variants"]:
        if v["split"] == "holdout":
            v["events"] = []
            v.pop("notes", None)
    manifest["seal"] = {"scheme": "sha256(salt || entropy as minimal big-endian bytes)",
                        "holdout_location": "separate directory (generate --holdout-out)"}
    return key
