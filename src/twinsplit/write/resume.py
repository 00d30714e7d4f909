"""Resumable staging (generate --resume): a run is staged in `.<OUT>.partial` beside OUT, which records the run's
inputs and, chunk by chunk, the variants it has written, each record committed with one atomic rename.

A run killed part way (even with kill -9) leaves that directory; `generate --resume` checks the inputs are the
same, keeps the recorded chunks' files and entries, writes the rest, and commits OUT as an uninterrupted run
would: the same bytes. The records are removed before the final rename, so OUT holds only what the manifest lists.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, TwinsplitError

STATE = ".twinsplit-resume"
INPUTS = "inputs.json"
KEEP = ("train", "holdout", STATE)  # what a resumed run keeps of the staged directory; the rest is copied again


def partial_dir(out: Path) -> Path:
    out = Path(out).resolve()
    return out.parent / f".{out.name}.partial"


def _atomic_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)


def recorded_inputs(out: Path) -> dict[str, Any] | None:
    """The inputs a killed run of OUT recorded, or None when there is no staged run to resume."""
    path = partial_dir(out) / STATE / INPUTS
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TwinsplitError(f"{path}: unreadable ({exc}); remove {partial_dir(out)} and generate again") from None


def differences(recorded: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between two runs' inputs, one `key: recorded -> now` each (keys in sorted order)."""
    out = []
    for key in sorted(recorded.keys() | now.keys()):
        if recorded.get(key) != now.get(key):
            out.append(f"{key}: {_short(recorded.get(key))} -> {_short(now.get(key))}")
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def check_same(out: Path, recorded: dict[str, Any], inputs: dict[str, Any]) -> None:
    """Refuse (exit 2) to resume the staged run of OUT with other inputs than it recorded, naming each difference."""
    if diff := differences(recorded, inputs):
        raise InputError(f"--resume: the staged run in {partial_dir(out)} was started with other inputs "
                         f"({'; '.join(diff)}); generate with the same ones, or without --resume and with --force "
                         "to start over")


_HELD: dict[Path, int] = {}  # staged dirs this process holds locked, by path: the fd keeps the lock


def _lock(tmp: Path, out: Path) -> None:
    """Hold an exclusive lock on the staged dir for the rest of the run (the kernel drops it when the process
    dies, kill -9 included), or refuse: another generate is writing OUT right now."""
    if tmp in _HELD:
        return
    fd = os.open(tmp, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise TwinsplitError(f"another generate is writing {out} right now (it holds {tmp}); wait for it, or "
                             "write elsewhere") from None
    _HELD[tmp] = fd


def _unlock(tmp: Path) -> None:
    if (fd := _HELD.pop(tmp, None)) is not None:
        os.close(fd)


@dataclass
class Staged:
    """A resumable staged run: `dir` to write into, `done` {variant id: its manifest entry} already written."""
    dir: Path
    done: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, name: str, entries: list[dict[str, Any]]) -> None:
        """Commit one written chunk's manifest entries (after its files are on disk)."""
        _atomic_json(self.dir / STATE / f"chunk-{name}.json", entries)
        self.done.update((e["id"], e) for e in entries)

    def finish(self) -> None:
        """Every variant is written: drop the records before the manifest and attestation list OUT's files (a
        run killed after this starts over on --resume)."""
        shutil.rmtree(self.dir / STATE, ignore_errors=True)


@contextmanager
def staged_resumable(out: Path, force: bool, resume: bool, inputs: dict[str, Any]) -> Iterator[Staged]:
    """Like write.outdir.staged, in `.<OUT>.partial`: kept when the process dies, resumed with `resume`; removed
    when the run raises (kept on Ctrl-C, to resume); on success the records go and the directory replaces OUT
    with one rename."""
    out = Path(out).resolve()
    tmp = partial_dir(out)
    state = tmp / STATE
    stage = Staged(tmp)
    if tmp.exists():
        _lock(tmp, out)  # a run still going holds it: not a killed one
    if resume and (recorded := recorded_inputs(out)) is not None:
        check_same(out, recorded, inputs)
        for path in sorted(state.glob("chunk-*.json")):
            stage.done.update((e["id"], e) for e in json.loads(path.read_text()))
        for child in tmp.iterdir():
            if child.name not in KEEP:
                shutil.rmtree(child) if child.is_dir() else child.unlink()
    else:
        if tmp.exists():
            if not force and not resume:
                raise TwinsplitError(f"a killed run of {out} is staged in {tmp}: continue it with --resume, or "
                                     "start over with --force")
            shutil.rmtree(tmp)
        state.mkdir(parents=True)
        _lock(tmp, out)
        _atomic_json(state / INPUTS, inputs)
    try:
        yield stage
        stage.finish()
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
        tmp.rename(out)
        _unlock(tmp)
        if old is not None:
            shutil.rmtree(old)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        _unlock(tmp)
        raise
    except BaseException:  # Ctrl-C: kept to resume, and no longer held
        _unlock(tmp)
        raise
