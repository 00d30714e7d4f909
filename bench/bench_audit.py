"""Benchmark: `twinsplit audit` of N holdout variants against N train variants (plus one leaked copy).

    python bench/bench_audit.py [--bodies 1000] [--n 200] [--workers 1] [--dir DIR] [--no-events] [--nice 0]

Builds the bench warehouse, writes init's starter config (`--no-events`: without its `events` block; the audit
reads the same bodies either way), generates N train + N holdout variants, flattens one holdout variant into a
.usdc among the "training" files, then times `twinsplit audit OUT/holdout --against OUT/train LEAK_DIR
[--workers K]` as a user runs it (one CLI process, under `/usr/bin/time -v` when there is one) and reads its wall
time, CPU time (user + sys, the reading processes included) and peak resident memory: of the largest single
process (what `time` reports) and of the whole process tree (main + workers, sampled every 0.5 s). The audit must
name the leaked copy (exit 1) and nothing else. `--dir DIR` works in DIR and keeps it: a second run with the
same options reuses the generated set (generating 2,000 variants of the 5,000-body stage takes tens of minutes).
The issue's size: `--bodies 5000 --n 1000`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
TIME = Path("/usr/bin/time")


def cli(*args: str, nice: int = 0) -> subprocess.CompletedProcess:
    return subprocess.run([*_nice(nice), str(Path(sys.executable).with_name("twinsplit")), *args],
                          capture_output=True, text=True)


def _nice(n: int) -> list[str]:
    return ["nice", "-n", str(n)] if n else []


def _tree_rss(root: int) -> int:
    """Resident KiB of `root` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        pid = int(entry)
        ppid = int(re.search(r"^PPid:\s+(\d+)", text, re.M).group(1))
        children.setdefault(ppid, []).append(pid)
        m = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
        rss[pid] = int(m.group(1)) if m else 0
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def timed(*args: str, nice: int = 0) -> dict:
    """Wall and CPU seconds, peak RSS (MiB: largest process, and the sampled tree), exit code and stdout of one
    CLI process."""
    cmd = [*_nice(nice), str(Path(sys.executable).with_name("twinsplit")), *args]
    use_time = TIME.exists()
    if use_time:
        cmd = [str(TIME), "-v", *cmd]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_tree, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak_tree[0] = max(peak_tree[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    res = {"wall": wall, "code": proc.returncode, "stdout": out, "tree_rss": peak_tree[0] // 1024}
    if use_time:
        field = dict(re.findall(r"^\s*([^:\n]+?):\s+(.*)$", err, re.M))
        res |= {"cpu": float(field["User time (seconds)"]) + float(field["System time (seconds)"]),
                "rss": int(field["Maximum resident set size (kbytes)"]) // 1024,
                "code": int(field.get("Exit status", proc.returncode))}
    return res


def _without_events(config: Path) -> None:
    text = config.read_text()
    head, sep, _ = text.partition("\nevents:")
    assert sep, "the starter config has no events block"
    config.write_text(head + "\n")


@click.command()
@click.option("--bodies", default=1000, show_default=True)
@click.option("--n", "n", default=200, show_default=True, help="Variants per side.")
@click.option("--workers", default=1, show_default=True, help="audit --workers (and generate's).")
@click.option("--dir", "workdir", type=click.Path(path_type=Path), help="Work here and keep it (reused).")
@click.option("--no-events", is_flag=True, help="Drop the starter config's events block.")
@click.option("--nice", default=0, show_default=True, help="Run generate and audit under nice -n N.")
def main(bodies: int, n: int, workers: int, workdir: Path | None, no_events: bool, nice: int) -> None:
    tmpdir = None
    if workdir is None:
        tmpdir = tempfile.TemporaryDirectory()
        workdir = Path(tmpdir.name)
    try:
        run(workdir, bodies, n, workers, no_events, nice)
    finally:
        if tmpdir is not None:
            tmpdir.cleanup()


def run(tmp: Path, bodies: int, n: int, workers: int, no_events: bool, nice: int) -> None:
    from build_scene import build
    from pxr import Usd

    tmp.mkdir(parents=True, exist_ok=True)
    src, cfg, out, leak = tmp / "w.usda", tmp / "w.yaml", tmp / "out", tmp / "leak"
    t_gen = None
    if not (out / "manifest.json").exists():
        build(src, bodies)
        cli("init", str(src), "-o", str(cfg)).check_returncode()
        if no_events:
            _without_events(cfg)
        t0 = time.perf_counter()
        cli("generate", str(src), "--config", str(cfg), "--out", str(out), "--train", str(n), "--holdout", str(n),
            "--seed-train", "1", "--seed-holdout", "2", "--workers", str(workers), nice=nice).check_returncode()
        t_gen = time.perf_counter() - t0
    shutil.rmtree(leak, ignore_errors=True)
    leak.mkdir()
    leaked = next((out / "holdout").glob(f"holdout-{n // 2:05d}.usd?"))  # usdc or usda: --layer-format
    Usd.Stage.Open(str(leaked)).Export(str(leak / "scan_0042.usdc"))
    load0 = os.getloadavg()
    r = timed("audit", str(out / "holdout"), "--against", str(out / "train"), str(leak), "--format", "json",
              "--workers", str(workers), nice=nice)
    load1 = os.getloadavg()
    report = json.loads(r["stdout"])
    pairs = [(Path(p["a"]).name, Path(p["b"]).name, p["kind"]) for p in report["pairs"]]
    assert r["code"] == 1 and pairs == [(leaked.name, "scan_0042.usdc", "exact")], (r["code"], pairs)
    s = report["summary"]
    stages = s["a"] + s["b"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average (1/5/15 min) before {'/'.join(f'{x:.1f}' for x in load0)}, "
          f"after {'/'.join(f'{x:.1f}' for x in load1)}")
    gen = f"{t_gen:.1f} s" if t_gen is not None else "reused"
    print(f"{bodies} bodies; generate {n} + {n} variants{' (no events)' if no_events else ''}: {gen}")
    cpu = f", CPU {r['cpu']:.1f} s ({1000 * r['cpu'] / stages:.0f} ms/stage)" if "cpu" in r else ""
    rss = f"peak RSS {r['rss']} MiB (largest process), " if "rss" in r else ""
    print(f"audit --workers {workers}: {s['a']} against {s['b']} stages: wall {r['wall']:.1f} s "
          f"({1000 * r['wall'] / stages:.0f} ms/stage){cpu}; {rss}{r['tree_rss']} MiB (process tree, sampled); "
          f"{s['feature_keys']} feature keys, {s['varying']} varying values; found the leaked copy, nothing else")
    print(f"nearest-neighbour distance: {report['distribution']}")


if __name__ == "__main__":
    main()
