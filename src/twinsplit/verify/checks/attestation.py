"""verify check `attestation`: the DSSE signature and every signed digest."""

from __future__ import annotations

import json

from ... import manifest as mf
from ...proof.attest import ATTESTATION
from ..core import Check, Context, check


@check("attestation", order=80)
def attestation(ctx: Context, c: Check) -> None:
    """With --pubkey: OUT/attestation.json's DSSE signature verifies with the key, every file matches its signed
    digest and the signed manifest digest is this manifest's."""
    path = ctx.out / ATTESTATION
    if ctx.pubkey is None:
        c.skip("present, not checked (pass --pubkey)" if path.exists() else "none")
        return
    if not path.is_file():
        c.fail("missing, but --pubkey asks for a signed set", file=ATTESTATION)
        return
    from ...hashing import sha256_bytes
    from ...proof.attest import attestation_subjects, check_subjects, verify_envelope

    try:
        envelope = json.loads(path.read_text())
    except json.JSONDecodeError:
        c.fail("not valid JSON", file=ATTESTATION)
        return
    statement = verify_envelope(envelope, ctx.pubkey)
    for line in check_subjects(statement, attestation_subjects(ctx.out)):
        c.fail(line, file=ATTESTATION)
    manifest_sha = sha256_bytes((ctx.out / mf.MANIFEST).read_bytes())
    if statement.get("predicate", {}).get("manifest_sha256") != manifest_sha:
        c.fail("the signed manifest digest is not this manifest's", file=ATTESTATION)
    c.detail = "signature valid; every file matches its signed digest"
