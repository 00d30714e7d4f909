"""Copy a source stage's whole layer stack and assets into OUT/source, so the output is self-contained."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pxr import Ar, UsdUtils

from ..errors import InputError
from ..hashing import sha256_file


@dataclass(frozen=True)
class SourceCopy:
    root: str                          # root layer path relative to the source dir
    files: tuple[tuple[str, str], ...]  # (relative path, sha256) of every copied layer and asset
    unresolved: tuple[str, ...]        # asset paths the stage names but that do not exist (e.g. missing textures)
    localized: bool                    # True when paths had to be rewritten (dependencies outside the root's folder)


def dependencies(root: Path) -> tuple[list[Path], list[str]]:
    try:
        layers, assets, unresolved = UsdUtils.ComputeAllDependencies(str(root))
    except Exception as exc:  # noqa: BLE001 - USD raises Tf errors of several kinds here
        raise InputError(f"cannot read the dependencies of {root}: {' '.join(str(exc).split())[:300]}") from None
    # package-internal layers and assets (scene.usdz[assets/cart.usda]) travel with their package
    files = [Path(layer.realPath) for layer in layers
             if layer.realPath and not Ar.IsPackageRelativePath(layer.realPath)]
    files += [Path(a) for a in assets if a and not Ar.IsPackageRelativePath(a)]
    # Unresolved paths are recorded relative to the root's folder: no absolute paths in hashed content.
    base = root.resolve().parent
    missing = sorted({os.path.relpath(u, base) if os.path.isabs(u) else str(u) for u in map(str, unresolved)})
    return list(dict.fromkeys(f.resolve() for f in files)), missing


def copy_source(root: Path, dest: Path, deps: tuple[list[Path], list[str]] | None = None) -> SourceCopy:
    """Byte-copy the layer stack under its own folder; localize (rewrite paths) only when something lies outside.
    `deps`: `dependencies(root)`, when the caller has it."""
    root = root.resolve()
    base = root.parent
    files, unresolved = dependencies(root) if deps is None else deps
    dest.mkdir(parents=True, exist_ok=True)
    if all(f.is_relative_to(base) for f in files):
        copied = []
        for f in files:
            rel = f.relative_to(base)
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / rel)
            copied.append(rel.as_posix())
        return SourceCopy(root.name, _hashed(dest, copied), tuple(unresolved), False)
    UsdUtils.LocalizeAsset(str(root), str(dest))
    copied = [p.relative_to(dest).as_posix() for p in sorted(dest.rglob("*")) if p.is_file()]
    return SourceCopy(root.name, _hashed(dest, copied), tuple(unresolved), True)


def _hashed(dest: Path, rels: list[str]) -> tuple[tuple[str, str], ...]:
    return tuple((rel, sha256_file(dest / rel)) for rel in sorted(rels))
