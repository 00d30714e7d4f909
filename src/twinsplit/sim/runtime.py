"""The optional simulator: newton and warp, imported only when a simulation runs, and Warp's kernel cache.

Warp compiles its kernels on first use (about a minute on a 2-core CPU) and caches them on disk, keyed by the
Warp version and the kernels' source. The cache lives where Warp puts it: `$WARP_CACHE_PATH/<warp version>` when
that variable is set, else the user cache directory (`~/.cache/warp/<warp version>` on Linux). Point
WARP_CACHE_PATH at a directory your CI caches and runs after the first do not recompile.
"""

from __future__ import annotations

import importlib.metadata
import os
from typing import Any

from ..errors import TwinsplitError

INSTALL = "pip install 'twinsplit[sim]'"
PACKAGES = ("newton", "warp-lang", "newton-usd-schemas")


class SimUnavailable(TwinsplitError):
    """The `sim` extra is not installed (or does not import): simcheck cannot run. Exit 2, like unusable input."""

    exit_code = 2


def load() -> tuple[Any, Any]:
    """(newton, warp), quiet, with the kernel cache initialised; SimUnavailable naming the install command."""
    try:
        import newton
        import warp as wp
    except Exception as exc:  # any failure to import means: no simulator here
        raise SimUnavailable(f"simcheck needs the sim extra (newton, warp-lang, newton-usd-schemas): {INSTALL} "
                             f"({type(exc).__name__}: {exc})") from None
    wp.config.quiet = True
    wp.config.log_level = wp.LOG_ERROR  # no greeting on stdout, where the report goes
    wp.init()
    return newton, wp


def kernel_cache() -> str:
    """The directory Warp compiles kernels into (after load())."""
    import warp as wp

    return str(wp.config.kernel_cache_dir or os.environ.get("WARP_CACHE_PATH", ""))


def versions() -> dict[str, str]:
    """Installed versions of the engine packages (what a result was simulated with)."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "missing"
    return out
