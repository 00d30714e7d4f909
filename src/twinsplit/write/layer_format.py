"""A variant layer's file format: usda text, or the same layer as crate (usdc) bytes from Sdf's own writer."""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from pathlib import Path

LAYER_FORMATS = ("usda", "usdc")
# usdc: NVIDIA's Asset Validator (default rules) fails a usda layer whose attributes have many time samples
# (UsdAsciiPerformanceChecker: every layer with events); the same layer as crate passes and is half the size.
DEFAULT_LAYER_FORMAT = "usdc"
# What a manifest without `layer_format` was written as (every set made before the option existed).
LEGACY_LAYER_FORMAT = "usda"
# The first bytes of each format's files: a crate header, a usda file's magic line.
_MAGIC = {"usdc": b"PXR-USDC", "usda": b"#usda "}

_SCRATCH: list[Path] = []
_NAMES = itertools.count()


def detect(data: bytes) -> str | None:
    """The layer format `data` is written in, from its first bytes; None for neither."""
    return next((fmt for fmt, magic in _MAGIC.items() if data.startswith(magic)), None)


def _scratch() -> Path:
    """One private directory per process for crate exports (Sdf writes crate only to a file), removed at exit."""
    if not _SCRATCH:
        path = Path(tempfile.mkdtemp(prefix="twinsplit-usdc-"))
        atexit.register(shutil.rmtree, path, True)
        _SCRATCH.append(path)
    return _SCRATCH[0]


def crate(text: bytes) -> bytes:
    """The layer `text` (usda) as crate bytes. Deterministic: Sdf's crate writer depends only on the layer's
    content (not its path, the process or the time), so the same text gives the same bytes in any worker.
    The text is parsed into Sdf's in-memory data and Export converts that to crate; an anonymous usdc layer
    exports faster than a usda one (docs/performance.md, "Crate output": what else was tried)."""
    from pxr import Sdf  # here: the CLI reads LAYER_FORMATS without loading USD

    layer = Sdf.Layer.CreateAnonymous(".usdc")
    if not layer.ImportFromString(text.decode("utf-8")):
        raise ValueError("Sdf could not parse the rendered layer text")
    path = _scratch() / f"{os.getpid()}-{next(_NAMES)}.usdc"
    try:
        if not layer.Export(str(path)):
            raise OSError(f"Sdf could not write {path}")
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def encode(text: bytes, layer_format: str) -> bytes:
    """A rendered layer's bytes in `layer_format`."""
    if layer_format == "usda":
        return text
    if layer_format == "usdc":
        return crate(text)
    raise ValueError(f"unknown layer format {layer_format!r} (one of {', '.join(LAYER_FORMATS)})")
