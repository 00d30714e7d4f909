"""generate shows a progress bar on a terminal and nothing of it in pipes or CI logs."""

import os
import pty
import subprocess
import sys
from pathlib import Path

from stages import CONFIG, write

EXE = str(Path(sys.executable).with_name("twinsplit"))


def _generate(tmp_path, stderr):
    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    return subprocess.run([EXE, "generate", str(src), "--config", str(cfg), "--out", str(tmp_path / "o"),
                           "--train", "30", "--holdout", "5"], stdout=subprocess.PIPE, stderr=stderr, timeout=120,
                          env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})


def test_progress_bar_on_a_terminal(tmp_path):
    master, slave = pty.openpty()
    try:
        result = _generate(tmp_path, slave)
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal closed: everything written has been read
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    assert result.returncode == 0
    assert b"drawing variants" in seen and b"writing variants" in seen


def test_no_progress_bar_in_a_pipe(tmp_path):
    result = _generate(tmp_path, subprocess.PIPE)
    assert result.returncode == 0
    assert b"writing variants" not in result.stderr and b"writing variants" not in result.stdout
    assert b"wrote 30 train + 5 holdout variants" in result.stdout


def test_one_bar_across_drawing_and_writing_fed_by_two_workers(tmp_path):
    """generate --workers 2: one rich task, ticked chunk by chunk from the workers, ends complete."""
    import io

    from rich.console import Console
    from rich.progress import Progress

    from twinsplit.commands.generate_cmd import progress_callback
    from twinsplit.config import load_config
    from twinsplit.generate import Request, run

    src = write(tmp_path)
    cfg = tmp_path / "c.yaml"
    cfg.write_text(CONFIG)
    seen = []
    with Progress(console=Console(file=io.StringIO())) as bar:
        update = progress_callback(bar)

        def spy(phase, done, total):
            seen.append((phase, done))
            update(phase, done, total)

        run(Request(src, load_config(cfg), tmp_path / "o", 30, 5, workers=2), spy)
        assert len(bar.tasks) == 1 and bar.tasks[0].completed == bar.tasks[0].total == 70
    drawn = [d for p, d in seen if p == "drawing"]
    assert drawn[-1] == 35 and len(drawn) < 35  # whole chunks from the workers, not one tick per variant
