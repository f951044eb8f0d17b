"""``python -m bench --quick`` end to end: real processes, real load, the table it writes.

Checks shape and counts, never speed: every operation measured on both targets with no errors,
and the upstream calls per request the issue promises once warm (sessions reused, one getAds
for the home screen, three list pages for a 250-ticket week).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]


def _rows(text: str) -> list[list[str]]:
    """The cells of the first table in ``text``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[start:end]]


def _calls(cell: str) -> dict[str, float]:
    if cell == "0":
        return {}
    pairs = (part.rsplit(" ", 1) for part in cell.split(", "))
    return {route: float(n) for route, n in pairs}


def _bench(output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output), *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")},
        capture_output=True,
        text=True,
        timeout=170,
    )


def _table(output: Path) -> dict[tuple[str, str], dict[str, str]]:
    """The written table, by (operation, target)."""
    [written] = output.glob("*.md")
    rows = _rows(written.read_text())
    header, measured = rows[0], [r for r in rows[1:] if not r[0].startswith("---")]
    assert header[:6] == ["operation", "target", "req/s", "p50 ms", "p99 ms", "errors"]
    return {(r[0], r[1]): dict(zip(header, r, strict=True)) for r in measured}


@pytest.mark.timeout(180)
def test_quick_run_measures_every_operation_without_errors(tmp_path: Path) -> None:
    run = _bench(tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    [written] = tmp_path.glob("*.md")
    assert written.read_text().strip() in run.stdout

    by_run = _table(tmp_path)
    for op in OPERATIONS:
        for target in ("gateway", "pass-through"):
            row = by_run[(op.name, target)]
            assert row["errors"] == "0", (op.name, target)
            assert float(row["req/s"]) > 0
            assert float(row["CPU ms/req"]) > 0
            calls = _calls(row["upstream calls per request"])
            assert "startSession" not in calls, (op.name, target, calls)  # warm: tokens reused
        assert (op.name, "**gateway / pass-through**") in by_run

    home = _calls(by_run[("home", "gateway")]["upstream calls per request"])
    assert home["getAds"] == 1.0
    search = _calls(by_run[("agent_ticket_search", "gateway")]["upstream calls per request"])
    assert search == {"GET tickets/list": 3.0}
    detail = _calls(by_run[("agent_ticket_detail", "gateway")]["upstream calls per request"])
    assert detail == {"GET tickets/{ticket_id}": 1.0, "GET tickets/refundAmounts/{receipt}": 1.0}
    # The reference makes the calls the gateway makes, so the ratios compare like with like;
    # a gateway cache may save some of them, never add one.
    reference_home = _calls(by_run[("home", "pass-through")]["upstream calls per request"])
    assert all(n <= reference_home.get(route, 0) for route, n in home.items()), home
    for name in ("agent_ticket_search", "agent_ticket_detail"):
        reference = by_run[(name, "pass-through")]["upstream calls per request"]
        ours = by_run[(name, "gateway")]["upstream calls per request"]
        assert _calls(reference) == _calls(ours), name


@pytest.mark.timeout(120)
def test_failing_upstream_calls_show_as_errors_and_fail_the_run(tmp_path: Path) -> None:
    half_fail = [{"match": "POST /v2/ads/getAds", "error_status": 503, "error_rate": 0.5}]
    run = _bench(tmp_path, "--only", "offer_detail", "--faults", json.dumps(half_fail))

    assert run.returncode == 1
    by_run = _table(tmp_path)
    for target in ("gateway", "pass-through"):
        assert int(by_run[("offer_detail", target)]["errors"]) > 0, target
