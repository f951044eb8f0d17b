"""``python -m bench.instructions`` end to end: both targets under callgrind, real requests, the
counts it writes. Checks that counting works and what it counts, never how fast anything is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("valgrind") is None and os.environ.get("CI") != "true",
    reason="needs valgrind (on every machine of this project; CI must have it)",
)


# Both targets start and run under callgrind (fifty times slower): over the suite's 60 s on a
# busy machine; the run's own timeout below bounds it.
@pytest.mark.timeout(420)
def test_instructions_per_request_are_counted_for_both_targets(tmp_path: Path) -> None:
    # when
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.instructions",
            "--requests",
            "2",
            "--warmup",
            "2",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")},
        capture_output=True,
        text=True,
        timeout=400,
    )

    # then: one row for the home screen, a count for each target
    assert run.returncode == 0, run.stderr[-3000:]
    (written,) = tmp_path.glob("*-instructions.md")
    rows = [line for line in written.read_text().splitlines() if line.startswith("| home |")]
    assert len(rows) == 1, written.read_text()
    _, ours, theirs, ratio = (cell.strip() for cell in rows[0].strip("|").split("|"))
    # A request is millions of instructions on either side (the pass-through too parses the
    # viewer's JWT and makes three upstream calls), and the gateway adds the GraphQL work.
    assert 1 < float(theirs) < float(ours)
    assert ratio.endswith("x")
    assert float(ratio[:-1]) == pytest.approx(float(ours) / float(theirs), abs=0.02)
