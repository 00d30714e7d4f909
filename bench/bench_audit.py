"""Benchmark: `twinsplit audit` of N holdout variants against N train variants (plus one leaked copy).

    python bench/bench_audit.py [--bodies 1000] [--n 200]

Builds the bench warehouse, writes init's starter config, generates N train + N holdout variants, flattens one
holdout variant into a .usdc among the "training" files, then times `twinsplit audit OUT/holdout --against
OUT/train LEAK_DIR` as a user runs it (one CLI process) and reads its peak resident memory. The audit must
name the leaked copy (exit 1) and nothing else. The issue's 1,000 against 1,000 variants of the 5,000-body
stage is `--bodies 5000 --n 1000` (hours of generate on a small machine); audit time is linear in the stages
read (one composed traversal each) and in their bodies, the KD-tree search is not the cost at these sizes.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).with_name("twinsplit")), *args], capture_output=True,
                          text=True)


def timed(*args: str) -> tuple[float, int, int, str]:
    """(seconds, peak RSS in MiB, exit code, stdout) of one CLI process, its own rusage (os.wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("twinsplit")), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    return time.perf_counter() - t0, usage.ru_maxrss // 1024, proc.returncode, out


@click.command()
@click.option("--bodies", default=1000, show_default=True)
@click.option("--n", "n", default=200, show_default=True, help="Variants per side.")
def main(bodies: int, n: int) -> None:
    from build_scene import build
    from pxr import Usd

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src, cfg, out, leak = tmp / "w.usda", tmp / "w.yaml", tmp / "out", tmp / "leak"
        build(src, bodies)
        cli("init", str(src), "-o", str(cfg)).check_returncode()
        t0 = time.perf_counter()
        cli("generate", str(src), "--config", str(cfg), "--out", str(out), "--train", str(n), "--holdout", str(n),
            "--seed-train", "1", "--seed-holdout", "2").check_returncode()
        t_gen = time.perf_counter() - t0
        leak.mkdir()
        leaked = next((out / "holdout").glob(f"holdout-{n // 2:05d}.usd?"))  # usdc or usda: --layer-format
        Usd.Stage.Open(str(leaked)).Export(str(leak / "scan_0042.usdc"))
        seconds, peak, code, text = timed("audit", str(out / "holdout"), "--against", str(out / "train"), str(leak),
                                          "--format", "json")
    report = json.loads(text)
    pairs = [(Path(p["a"]).name, Path(p["b"]).name, p["kind"]) for p in report["pairs"]]
    assert code == 1 and pairs == [(leaked.name, "scan_0042.usdc", "exact")], (code, pairs)
    s = report["summary"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{bodies} bodies; generate {n} + {n} variants: {t_gen:.1f} s")
    print(f"audit {s['a']} against {s['b']} stages: {seconds:.1f} s ({1000 * seconds / (s['a'] + s['b']):.0f} "
          f"ms/stage), peak RSS {peak} MiB; {s['feature_keys']} feature keys, "
          f"{s['varying']} varying values; found the leaked copy, nothing else")
    print(f"nearest-neighbour distance: {report['distribution']}")


if __name__ == "__main__":
    main()
