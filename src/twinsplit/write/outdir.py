"""Output directories: staged in a temporary sibling and renamed into place, so a crash leaves no half set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import TwinsplitError


def check_target(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise TwinsplitError(f"output {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise TwinsplitError(f"output directory {out} exists and is not empty (use --force to replace it)")


@contextmanager
def staged(out: Path, force: bool) -> Iterator[Path]:
    """Yield a temp dir next to `out`; on success it replaces `out` with one rename, on error it is removed."""
    out = out.resolve()
    check_target(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def safe_join(base: Path, rel: str) -> Path:
    """base/rel, refusing absolute paths and paths that escape base (e.g. from a tampered manifest)."""
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts:
        raise TwinsplitError(f"path {rel!r} escapes the output directory")
    full = (base / p).resolve()
    if not full.is_relative_to(base.resolve()):
        raise TwinsplitError(f"path {rel!r} escapes the output directory")
    return full


def create_exclusive(path: Path, data: bytes, mode: int, what: str) -> None:
    """Write a new file; O_EXCL so an existing key is never overwritten (no check-then-write race)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise TwinsplitError(f"{path} already exists; refusing to overwrite a {what}") from None
    except OSError as exc:
        raise TwinsplitError(f"cannot create {what} {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def beside(out: Path, suffix: str) -> Path:
    """`<OUT parent>/<OUT name><suffix>`: where a file about a set goes by default, beside OUT, never inside it
    (an extra file in OUT fails verify's file inventory)."""
    out = Path(out).resolve()
    return out.parent / f"{out.name}{suffix}"


def refuse_inside(out: Path, dest: Path, what: str, suffix: str) -> None:
    """Raise when `dest` is OUT or inside it, naming the default beside OUT (`beside(out, suffix)`)."""
    out, dest = Path(out).resolve(), Path(dest).resolve()
    if dest == out or out in dest.parents:
        raise TwinsplitError(f"{dest}: {what} may not go inside OUT (verify would find a file the manifest "
                             f"does not list); write it beside OUT, e.g. {beside(out, suffix)}")
