"""Headless Chromium for the report's browser tests (Debian's package; those tests skip without it)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="chromium is not installed (apt-get install chromium)")


def screenshot(page: Path, tmp: Path, height: int) -> Path:
    """A 1280 x `height` PNG of `page` rendered by headless Chromium (the flags this closed network needs)."""
    shot = tmp / "shot.png"
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp / 'profile'}", f"--screenshot={shot}", f"--window-size=1280,{height}",
           f"file://{page}"]
    subprocess.run(cmd, capture_output=True, timeout=90, check=False)
    assert shot.is_file(), "chromium wrote no screenshot"
    return shot
