"""Signed attestation: an in-toto Statement v1 over the output files, wrapped in a DSSE envelope.

Signing and the DSSE pre-authentication encoding are securesystemslib's (`Envelope`, `CryptoSigner`,
Ed25519); the Statement is checked with the in-toto-attestation package. The key id is
securesystemslib's default: sha256 (hex) of the canonical JSON
`{"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": <raw public key hex>}}`, so any
securesystemslib user derives the same id from the `.pub` file.
"""

from __future__ import annotations

import binascii
import copy
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import manifest as mf
from ..errors import TwinsplitError
from ..hashing import sha256_bytes
from ..write.outdir import create_exclusive

# cryptography, securesystemslib and in-toto are imported where a key, a statement or an envelope is handled:
# generate and verify without --sign / --public-key never load them (tests/test_startup.py)
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

ATTESTATION = "attestation.json"


PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://twinsplit.dev/attestation/v1"
PRIVATE_KEY_NAME = "twinsplit.key"
PUBLIC_KEY_NAME = "twinsplit.pub"

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# --- keys -----------------------------------------------------------------------------------------


def generate_keypair(out_dir: Path) -> tuple[Path, Path]:
    """Write a new Ed25519 key pair: `twinsplit.key` (PEM PKCS8, unencrypted, mode 0600) and
    `twinsplit.pub` (PEM SubjectPublicKeyInfo) into the existing directory `out_dir`.

    Returns (private_key_path, public_key_path). Refuses (TwinsplitError) if either file exists.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise TwinsplitError(f"key directory {out_dir} does not exist")
    priv_path, pub_path = out_dir / PRIVATE_KEY_NAME, out_dir / PUBLIC_KEY_NAME
    for path in (priv_path, pub_path):  # refuse before writing anything: no half-new pair
        if path.exists():
            raise TwinsplitError(f"{path} already exists; refusing to overwrite a key file")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = Ed25519PrivateKey.generate()
    priv_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    pub_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    create_exclusive(priv_path, priv_pem, 0o600, "key file")
    try:
        create_exclusive(pub_path, pub_pem, 0o644, "key file")
    except TwinsplitError:
        priv_path.unlink()  # we created it a moment ago; a lone private key is useless
        raise
    return priv_path, pub_path


def _read(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TwinsplitError(f"cannot read {what} {path}: {exc.strerror}") from None


def _load_private_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(_read(path, "private key"), password=None)
    except (ValueError, TypeError) as exc:
        raise TwinsplitError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TwinsplitError(f"{path} is not an Ed25519 private key")
    return key


def _load_public_key(path: Path) -> SSlibKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey

    try:
        key = load_pem_public_key(_read(path, "public key"))
    except (ValueError, TypeError) as exc:
        raise TwinsplitError(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise TwinsplitError(f"{path} is not an Ed25519 public key")
    return SSlibKey.from_crypto(key)


def public_keyid(public_key_path: Path) -> str:
    """The key id (see module docstring) of the public key in `public_key_path`."""
    return _load_public_key(public_key_path).keyid


# --- statement ------------------------------------------------------------------------------------


def build_statement(subjects: dict[str, str], predicate: dict) -> dict:
    """An in-toto Statement v1 as a JSON-able dict.

    subjects: {relative path: sha256 hex}; emitted sorted by name so equal input gives equal bytes.
    predicate: any JSON-able, non-empty dict; predicateType is PREDICATE_TYPE.
    """
    from in_toto_attestation.v1.statement import STATEMENT_TYPE_URI

    statement = {
        "_type": STATEMENT_TYPE_URI,
        "subject": [
            {"name": name, "digest": {"sha256": digest}} for name, digest in sorted(subjects.items())
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }
    _validate_statement(statement)
    return statement


def _validate_statement(statement: Any) -> None:
    """Raise TwinsplitError unless `statement` is a valid Statement v1 with twinsplit's subjects."""
    from in_toto_attestation.v1.resource_descriptor import ResourceDescriptor
    from in_toto_attestation.v1.statement import Statement

    if not isinstance(statement, dict):
        raise TwinsplitError("statement is not a JSON object")
    if set(statement) != {"_type", "subject", "predicateType", "predicate"}:
        raise TwinsplitError(f"statement has unexpected fields: {sorted(statement)}")
    subjects = statement["subject"]
    if not isinstance(subjects, list) or not all(isinstance(s, dict) for s in subjects):
        raise TwinsplitError("statement subject is not a list of objects")
    for s in subjects:
        name, digest = s.get("name"), s.get("digest")
        if not isinstance(name, str) or not name:
            raise TwinsplitError(f"statement subject without a name: {s!r}")
        if not isinstance(digest, dict) or not _SHA256_HEX.fullmatch(str(digest.get("sha256"))):
            raise TwinsplitError(f"statement subject {name} lacks a lowercase hex sha256 digest")
    names = [s["name"] for s in subjects]
    if len(set(names)) != len(names):
        raise TwinsplitError("statement names a subject more than once")
    if not isinstance(statement["predicate"], dict):
        raise TwinsplitError("statement predicate is not a JSON object")
    try:
        json.dumps(statement["predicate"], allow_nan=False)
        pb = Statement(
            [ResourceDescriptor(name=s["name"], digest=s["digest"]).pb for s in subjects],
            statement["predicateType"],
            statement["predicate"],
        )
        pb.pb.type = statement["_type"]
        pb.validate()
    except (ValueError, TypeError, AttributeError) as exc:
        raise TwinsplitError(f"invalid in-toto statement: {exc}") from None


def _payload_bytes(statement: dict) -> bytes:
    # Sorted keys, no spaces: the same statement always yields the same payload (and, Ed25519 being
    # deterministic, the same signature).
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


# --- DSSE -----------------------------------------------------------------------------------------


def sign_statement(statement: dict, private_key_path: Path) -> dict:
    """Sign `statement` with the Ed25519 key at `private_key_path`; return the DSSE envelope as a dict
    {"payload": base64, "payloadType": PAYLOAD_TYPE, "signatures": [{"keyid", "sig"}]}."""
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import CryptoSigner

    _validate_statement(statement)
    signer = CryptoSigner(_load_private_key(private_key_path))
    envelope = Envelope(_payload_bytes(statement), PAYLOAD_TYPE, {})
    envelope.sign(signer)
    return envelope.to_dict()


def _parse_envelope(envelope: Any) -> Envelope:
    from securesystemslib import exceptions as sslib_exceptions
    from securesystemslib.dsse import Envelope

    if not isinstance(envelope, dict):
        raise TwinsplitError("malformed envelope: not a JSON object")
    if not isinstance(envelope.get("signatures"), list) or not envelope["signatures"]:
        raise TwinsplitError("malformed envelope: no signatures")
    try:
        # from_dict rewrites the signature dicts in place; never touch the caller's object.
        return Envelope.from_dict(copy.deepcopy(envelope))
    except KeyError as exc:
        raise TwinsplitError(f"malformed envelope: missing field {exc}") from None
    except (ValueError, TypeError, AttributeError, binascii.Error, sslib_exceptions.Error) as exc:
        raise TwinsplitError(f"malformed envelope: {exc}") from None


def verify_envelope(envelope: dict, public_key_path: Path) -> dict:
    """Verify the DSSE `envelope` against the Ed25519 public key; return the enclosed statement.

    Raises TwinsplitError for a malformed envelope, a signature that does not verify with the key
    (wrong key, altered payload or signature), or a payload that is not a valid Statement v1.
    """
    from securesystemslib import exceptions as sslib_exceptions

    key = _load_public_key(public_key_path)
    env = _parse_envelope(envelope)
    if env.payload_type != PAYLOAD_TYPE:
        raise TwinsplitError(
            f"envelope payloadType is {env.payload_type!r}, expected {PAYLOAD_TYPE!r}"
        )
    if key.keyid not in env.signatures:
        signed_by = ", ".join(sorted(env.signatures))
        raise TwinsplitError(
            f"signature does not verify with key {key.keyid}: the envelope is signed by {signed_by}"
        )
    try:
        env.verify([key], 1)
    except (sslib_exceptions.Error, ValueError) as exc:
        raise TwinsplitError(f"signature does not verify with key {key.keyid} ({exc})") from None
    try:
        statement = json.loads(env.payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TwinsplitError(f"signed payload is not JSON: {exc}") from None
    _validate_statement(statement)
    if statement["predicateType"] != PREDICATE_TYPE:
        raise TwinsplitError(
            f"statement predicateType is {statement['predicateType']!r}, expected {PREDICATE_TYPE!r}"
        )
    return statement


def check_subjects(statement: dict, files: dict[str, str]) -> list[str]:
    """Differences between the statement's subjects and the actual {relpath: sha256}; [] if equal.

    One line per file, sorted by name: "changed: <name> attested sha256 <a>, actual sha256 <b>",
    "missing: <name> attested sha256 <a>, file absent", "extra: <name> actual sha256 <b>, not attested".
    """
    attested = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    lines = []
    for name in sorted(attested.keys() | files.keys()):
        a, b = attested.get(name), files.get(name)
        if a is None:
            lines.append(f"extra: {name} actual sha256 {b}, not attested")
        elif b is None:
            lines.append(f"missing: {name} attested sha256 {a}, file absent")
        elif a != b:
            lines.append(f"changed: {name} attested sha256 {a}, actual sha256 {b}")
    return lines


def attestation_subjects(root: Path) -> dict[str, str]:
    from ..hashing import sha256_file

    return {p.relative_to(root).as_posix(): sha256_file(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ATTESTATION}


def sign_output(root: Path, manifest: dict[str, Any], key_path: Path) -> bytes:
    """An in-toto Statement over every file of OUT, in a DSSE envelope signed with Ed25519."""
    import json

    from ..config import canonical_json

    predicate = {
        "tool": mf.tool_entry(),
        "manifest_sha256": sha256_bytes(mf.dumps(manifest)),
        "config_sha256": manifest["config"]["sha256"],
        "seeds_sha256": sha256_bytes(canonical_json(manifest["seeds"])),
    }
    envelope = sign_statement(build_statement(attestation_subjects(root), predicate), key_path)
    return (json.dumps(envelope, indent=2, sort_keys=True) + "\n").encode()
