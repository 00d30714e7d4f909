"""verify checks `files` and `hashes`: every listed file is there, nothing else is, and each has its listed sha256."""

from __future__ import annotations

from ...hashing import sha256_file
from ...write.outdir import safe_join
from ..core import (
    EXTRA_FILES,
    Check,
    Context,
    _label,
    check,
)


@check
def files_present(ctx: Context) -> Check:
    c = Check("files")
    total = 0
    for root in ctx.roots():
        listed = ctx.listed_files(root)
        total += len(listed)
        for rel in listed:
            safe_join(root, rel)  # raises on a path escaping its directory
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        extras = EXTRA_FILES if root == ctx.out else set()
        for rel in sorted(set(listed) - on_disk):
            c.problems.append(f"{_label(ctx, root)}{rel}: listed in the manifest but missing")
        for rel in sorted(on_disk - set(listed) - extras):
            c.problems.append(f"{_label(ctx, root)}{rel}: present but not listed in the manifest")
    c.detail = f"{total} files listed"
    return c


@check
def hashes(ctx: Context) -> Check:
    c = Check("hashes")
    for root in ctx.roots():
        for rel, expected in ctx.listed_files(root).items():
            p = safe_join(root, rel)
            if p.is_file() and (actual := sha256_file(p)) != expected:
                c.problems.append(f"{_label(ctx, root)}{rel}: sha256 {actual[:12]}… on disk, manifest says "
                                  f"{expected[:12]}…")
    src = ctx.manifest["source"]
    root = safe_join(ctx.out, src["root"])
    if not src["localized"] and root.is_file() and (actual := sha256_file(root)) != src["sha256"]:
        c.problems.append(f"source.sha256 says {src['sha256'][:12]}…, the byte-copied root {src['root']} is "
                          f"{actual[:12]}…")
    digests = [v["sha256"] for v in ctx.variants]
    if len(set(digests)) != len(digests):
        c.problems.append("two variants have the same sha256 in the manifest")
    return c
