"""verify check `attestation`: the DSSE signature and every signed digest."""

from __future__ import annotations

import json

from ... import manifest as mf
from ...proof.attest import ATTESTATION
from ..core import (
    Check,
    Context,
    check,
)


@check
def attestation(ctx: Context) -> Check:
    c = Check("attestation")
    path = ctx.out / ATTESTATION
    if ctx.pubkey is None:
        c.skipped = True
        c.detail = "present, not checked (pass --pubkey)" if path.exists() else "none"
        return c
    if not path.is_file():
        c.problems.append(f"{ATTESTATION}: missing, but --pubkey asks for a signed set")
        return c
    from ...hashing import sha256_bytes
    from ...proof.attest import attestation_subjects, check_subjects, verify_envelope

    try:
        envelope = json.loads(path.read_text())
    except json.JSONDecodeError:
        c.problems.append(f"{ATTESTATION}: not valid JSON")
        return c
    statement = verify_envelope(envelope, ctx.pubkey)
    c.problems += [f"{ATTESTATION}: {line}" for line in check_subjects(statement, attestation_subjects(ctx.out))]
    manifest_sha = sha256_bytes((ctx.out / mf.MANIFEST).read_bytes())
    if statement.get("predicate", {}).get("manifest_sha256") != manifest_sha:
        c.problems.append(f"{ATTESTATION}: the signed manifest digest is not this manifest's")
    c.detail = "signature valid; every file matches its signed digest"
    return c
