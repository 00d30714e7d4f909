"""Proof beyond the manifest: the sealed holdout (commit-reveal) and the signed attestation."""
