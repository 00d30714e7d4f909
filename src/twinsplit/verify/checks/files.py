"""verify checks `files` and `hashes`: every listed file is there, nothing else is, and each has its listed sha256."""

from __future__ import annotations

from ...hashing import sha256_file
from ...write.outdir import safe_join
from ..core import EXTRA_FILES, Check, Context, check


@check("files", order=10)
def files_present(ctx: Context, c: Check) -> None:
    """The files under OUT (and the sealed holdout directory) are exactly the ones the manifest lists: nothing
    added, nothing missing, no listed path escaping its directory."""
    total = 0
    for root in ctx.roots():
        listed = ctx.listed_files(root)
        total += len(listed)
        for rel in listed:
            safe_join(root, rel)  # raises on a path escaping its directory
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        extras = EXTRA_FILES if root == ctx.out else set()
        for rel in sorted(set(listed) - on_disk):
            c.fail("listed in the manifest but missing", file=f"{ctx.label(root)}{rel}")
        for rel in sorted(on_disk - set(listed) - extras):
            c.fail("present but not listed in the manifest", file=f"{ctx.label(root)}{rel}")
    c.detail = f"{total} files listed"


@check("hashes", order=20)
def hashes(ctx: Context, c: Check) -> None:
    """Every listed file re-hashed against its sha256; no two variants share a hash; `source.sha256` is the
    byte-copied root's (unless the source was localized)."""
    for root in ctx.roots():
        for rel, expected in ctx.listed_files(root).items():
            p = safe_join(root, rel)
            if p.is_file() and (actual := sha256_file(p)) != expected:
                c.fail(f"sha256 {actual[:12]}… on disk, manifest says {expected[:12]}…", file=f"{ctx.label(root)}{rel}")
    src = ctx.manifest["source"]
    root = safe_join(ctx.out, src["root"])
    if not src["localized"] and root.is_file() and (actual := sha256_file(root)) != src["sha256"]:
        c.fail(f"source.sha256 says {src['sha256'][:12]}…, the byte-copied root {src['root']} is {actual[:12]}…")
    digests = [v["sha256"] for v in ctx.variants]
    if len(set(digests)) != len(digests):
        c.fail("two variants have the same sha256 in the manifest")
