"""``--profile DIR``: py-spy samples the gateway through each timed window.

Writes ``DIR/<operation>.txt`` in py-spy's raw (collapsed stack) format, which speedscope
(https://www.speedscope.app) and flamegraph tools open, and summarises where the time went: the
functions most often on top of the stack (self time) and the packages most often anywhere on it
(inclusive). Only samples holding the GIL count (``--gil``): Python's CPU time, not threads
waiting (aiosqlite's worker would otherwise fill half the profile). py-spy pauses the process
for each sample, so a profiled run's figures are a little worse than a plain run's: profile and
measure in separate runs.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["sampling", "summary"]


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise RuntimeError("--profile needs py-spy (a dev dependency: make bench installs it)")
    return found


@contextmanager
def sampling(pid: int, output: Path) -> Iterator[None]:
    """Sample ``pid`` while the block runs; py-spy writes ``output`` when interrupted."""
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [
            _py_spy(),
            "record",
            "--gil",
            "--rate",
            "250",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


def summary(raw: Path, top: int = 12) -> list[str]:
    """Self time by function and inclusive time by package, as shares of the samples."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for package in {_package(frame) for frame in frames}:
            anywhere[package] += int(count)
    if not total:
        return [f"{raw.name}: no samples"]
    lines = [f"{raw.name}: {total} samples; self time by function:"]
    lines += [f"  {n / total:6.1%}  {frame}" for frame, n in own.most_common(top)]
    lines.append("  inclusive time by package or project directory (below the event loop):")
    # what is on (nearly) every stack is the process itself: runpy, the CLI, the event loop
    below = [(name, n) for name, n in anywhere.most_common() if n < 0.95 * total]
    lines += [f"  {n / total:6.1%}  {name}" for name, n in below[:top]]
    return lines


def _package(frame: str) -> str:
    # "get_ads (gateway/upstreams/cardlytics/offers.py:24)" -> "gateway/upstreams";
    # ".../site-packages/graphql/execution/execute.py" -> "graphql"
    where = frame[frame.find("(") + 1 : frame.rfind(":")] if "(" in frame else frame
    if "site-packages/" in where:
        return where.split("site-packages/", 1)[1].split("/", 1)[0]
    parts = Path(where).parts
    return "/".join(parts[:2]) if len(parts) > 2 else where
