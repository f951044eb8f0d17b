"""One measured run: the driver's load on one target, bracketed by the OS's and the sandbox's
counters (CPU time and RSS of the target's process, upstream calls per route)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.processes import CPU_DRIVER, Process, taskset_prefix
from bench.profile import sampling

__all__ = ["Load", "Result", "Sandbox", "run_load", "run_operation"]

SIMULATORS = ("cardlytics", "clickbank")


@dataclass(frozen=True)
class Load:
    concurrency: int
    warmup_s: float
    duration_s: float
    requests: int | None = None  # a fixed count instead of the duration
    # warm-up goes on until every viewer has been served once (their session tokens fetched)
    warm_every_viewer: bool = True
    # requests per second, started on schedule (open loop) instead of ``concurrency`` workers
    rate: float | None = None


@dataclass
class Result:
    operation: str
    target: str
    count: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    cpu_s: float
    rss_mb: float
    sandbox_cpu_s: float
    calls: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)

    @property
    def req_per_s(self) -> float:
        return self.count / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_s / self.count if self.count else 0.0

    @property
    def sandbox_cpu_ms_per_request(self) -> float:
        return 1000 * self.sandbox_cpu_s / self.count if self.count else 0.0

    def calls_per_request(self) -> dict[str, float]:
        return {route: n / self.count for route, n in self.calls.items() if self.count}


class Sandbox:
    """The sandbox's control endpoints, over HTTP like everything else."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.url = process.url

    def calls(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for sim in SIMULATORS:
            response = httpx.get(f"{self.url}/{sim}/_sandbox/stats")
            response.raise_for_status()
            for route, n in response.json()["calls"].items():
                counts[_short(route)] += n
        return counts

    def reset(self) -> None:
        for sim in SIMULATORS:
            httpx.post(f"{self.url}/{sim}/_sandbox/reset").raise_for_status()

    def faults(self, rules: list[dict[str, Any]]) -> None:
        for sim in SIMULATORS:
            httpx.put(f"{self.url}/{sim}/_sandbox/faults", json=rules).raise_for_status()


def _short(route: str) -> str:
    # "POST /v2/ads/getAds" -> "getAds"; "GET /rest/1.3/tickets/list" -> "GET tickets/list"
    method, _, path = route.partition(" ")
    if path.startswith("/v2/") or path.startswith("/csaapi/"):
        return path.rsplit("/", 1)[-1]
    return f"{method} {path.removeprefix('/rest/1.3/')}"


def run_load(
    operation: str,
    target: Process,
    path: str,
    bodies: list[dict[str, Any]],
    sandbox: Sandbox,
    load: Load,
    *,
    graphql: bool,
    profile_to: Path | None = None,
) -> Result:
    """Warm up, then measure one window; the driver runs on the driver's core."""
    spec = {
        "url": target.url + path,
        "graphql": graphql,
        "concurrency": load.concurrency,
        "warmup_s": load.warmup_s,
        "duration_s": load.duration_s,
        "requests_count": load.requests,
        "rate": load.rate,
        "warmup_requests": len({body["headers"]["Authorization"] for body in bodies})
        if load.warm_every_viewer
        else 0,
        "requests": bodies,
    }
    with tempfile.NamedTemporaryFile(suffix=".json") as spec_file:
        spec_file.write(orjson.dumps(spec))
        spec_file.flush()
        driver = subprocess.Popen(
            [*taskset_prefix(CPU_DRIVER), sys.executable, "-m", "bench.driver", spec_file.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert driver.stdin is not None and driver.stdout is not None
        try:
            warm = driver.stdout.readline()
            if not warm:
                raise RuntimeError(f"the driver stopped during warm-up ({operation})")
            cpu_before, calls_before = target.cpu_s(), sandbox.calls()
            sandbox_before = sandbox.process.cpu_s()
            with sampling(target.pid, profile_to) if profile_to else nullcontext():
                driver.stdin.write(b"go\n")
                driver.stdin.flush()
                line = driver.stdout.readline()
            cpu_after, calls_after = target.cpu_s(), sandbox.calls()
            sandbox_after = sandbox.process.cpu_s()
        finally:
            driver.wait(timeout=60)
    if not line:
        raise RuntimeError(f"the driver gave no result ({operation})")
    out = orjson.loads(line)
    calls_after.subtract(calls_before)
    return Result(
        operation=operation,
        target=target.name,
        count=out["count"],
        errors=out["errors"],
        elapsed_s=out["elapsed_s"],
        p50_ms=out["p50_ms"],
        p99_ms=out["p99_ms"],
        cpu_s=cpu_after - cpu_before,
        rss_mb=target.rss_mb(),
        sandbox_cpu_s=sandbox_after - sandbox_before,
        calls={route: n for route, n in sorted(calls_after.items()) if n},
        error_samples=out["error_samples"],
    )


def run_operation(
    name: str,
    bodies: list[dict[str, Any]],
    target: Process,
    sandbox: Sandbox,
    load: Load,
    profile_to: Path | None = None,
) -> Result:
    """``run_load`` at the target's address for ``name``: the gateway takes every document at
    ``/graphql``, the pass-through has one route per operation."""
    graphql = target.name == "gateway"
    path = "/graphql" if graphql else f"/bench/{name}"
    return run_load(
        name, target, path, bodies, sandbox, load, graphql=graphql, profile_to=profile_to
    )
