"""The printed table, and the same written to ``bench/results/<date>.md``."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import Result
from bench.processes import CPU_SERVER, taskset_prefix

__all__ = ["Check", "Report", "machine_facts", "table_checks"]

RESULTS_DIR = Path(__file__).resolve().parent / "results"
HEADER = (
    "| operation | target | req/s | p50 ms | p99 ms | errors | CPU ms/req | RSS MB "
    "| upstream calls per request | sandbox CPU ms/req |"
)
RULE = "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def _calls(result: Result) -> str:
    return ", ".join(f"{route} {n:.2f}" for route, n in result.calls_per_request().items()) or "0"


def _row(result: Result) -> str:
    return (
        f"| {result.operation} | {result.target} | {result.req_per_s:.0f} | {result.p50_ms:.1f} "
        f"| {result.p99_ms:.1f} | {result.errors} | {result.cpu_ms_per_request:.2f} "
        f"| {result.rss_mb:.0f} | {_calls(result)} | {result.sandbox_cpu_ms_per_request:.2f} |"
    )


def _ratio_row(gateway: Result, reference: Result) -> str:
    return (
        f"| {gateway.operation} | **gateway / {reference.target}** "
        f"| {_ratio(gateway.req_per_s, reference.req_per_s)} "
        f"| {_ratio(gateway.p50_ms, reference.p50_ms)} "
        f"| {_ratio(gateway.p99_ms, reference.p99_ms)} "
        f"| | {_ratio(gateway.cpu_ms_per_request, reference.cpu_ms_per_request)} "
        f"| {_ratio(gateway.rss_mb, reference.rss_mb)} | | |"
    )


def machine_facts() -> dict[str, str]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cores": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        # other work on the machine inflates every figure: say how busy it was
        "load": " / ".join(f"{n:.2f}" for n in os.getloadavg()),
        "pinning": "gateway or pass-through on core 0, sandbox and driver on core 1"
        if taskset_prefix(CPU_SERVER)
        else "none (taskset or a second core missing)",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass(frozen=True)
class Check:
    """One of the issue's targets beside what this run measured."""

    target: str
    measured: str
    met: bool


def table_checks(results: Sequence[Result]) -> list[Check]:
    """The targets the table itself answers: the home screen's CPU and calls, no errors."""
    checks = [
        Check(
            "no errors in the table",
            f"{sum(r.errors for r in results)} errors",
            not any(r.errors for r in results),
        )
    ]
    home = next((r for r in results if (r.operation, r.target) == ("home", "gateway")), None)
    if home is not None:
        cpu, calls = home.cpu_ms_per_request, home.calls_per_request()
        getads, sessions = calls.get("getAds", 0.0), calls.get("startSession", 0.0)
        checks += [
            Check(
                "home screen: at most 3 CPU ms per request (Node parity)", f"{cpu:.2f}", cpu <= 3
            ),
            Check("home screen: at most 1.5 CPU ms per request", f"{cpu:.2f}", cpu <= 1.5),
            Check(
                "home screen once warm: 1 getAds, 0 startSession per request",
                f"{getads:.2f} getAds, {sessions:.2f} startSession",
                getads == 1 and sessions == 0,
            ),
        ]
    return checks


@dataclass
class Report:
    settings: str
    results: list[Result] = field(default_factory=list)
    scenarios: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def check_table(self) -> list[str]:
        rows = [
            f"| {c.target} | {c.measured} | {'yes' if c.met else '**no**'} |" for c in self.checks
        ]
        return ["| target (issue 5) | measured | met |", "|---|---|---|", *rows]

    def table(self) -> list[str]:
        lines = [HEADER, RULE]
        by_operation: dict[str, dict[str, Result]] = {}
        for result in self.results:
            by_operation.setdefault(result.operation, {})[result.target] = result
        for runs in by_operation.values():
            lines.extend(_row(r) for r in runs.values())
            for reference in ("pass-through", "node-gateway"):
                if "gateway" in runs and reference in runs:
                    lines.append(_ratio_row(runs["gateway"], runs[reference]))
        return lines

    def markdown(self, facts: dict[str, str]) -> str:
        head = [
            f"# Benchmark {facts['date']}",
            "",
            f"commit {facts['commit']}; {facts['cores']} cores ({facts['cpu']}); "
            f"Python {facts['python']}; pinning: {facts['pinning']}; load average at the end "
            f"(1 / 5 / 15 min): {facts['load']}",
            "",
            self.settings,
            "",
            *self.table(),
        ]
        if self.checks:
            head += ["", "## Against the targets", "", *self.check_table()]
        if self.scenarios:
            head += ["", "## Scenarios", *self.scenarios]
        if self.notes:
            head += ["", *self.notes]
        return "\n".join(head) + "\n"

    def write(self, facts: dict[str, str], directory: Path = RESULTS_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{facts['date'][:10]}.md"
        path.write_text(self.markdown(facts))
        return path


def log_summary(name: str, path: Path) -> str:
    """What a server logged during the run (at WARNING and above: the bench's log level), by
    level, logger and message, so a run that "worked" while logging errors shows it."""
    counts: Counter[str] = Counter()
    other = 0
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
            counts[f"{entry['level']} {entry['logger']}: {str(entry['msg'])[:80]}"] += 1
        except (ValueError, KeyError, TypeError):
            # the serve command's "GraphiQL: <url>" banner is not a log line
            other += bool(line.strip()) and not line.startswith("GraphiQL: ")
    if not counts and not other:
        return f"{name} log: nothing at WARNING or above."
    parts = [f"{n} x {what}" for what, n in counts.most_common(5)]
    if other:
        parts.append(f"{other} other lines")
    return f"{name} log: " + "; ".join(parts)


def errors_seen(results: Sequence[Result]) -> list[str]:
    return [
        f"{r.operation} on {r.target}: {r.errors} errors, e.g. {', '.join(r.error_samples)}"
        for r in results
        if r.errors
    ]
