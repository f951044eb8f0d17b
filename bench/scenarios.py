"""The scenarios beside the table: injected upstream latency, a bounded soak, cold start."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.driver import answer_error
from bench.measure import Load, Result, Sandbox, run_operation
from bench.operations import (
    HOME_OFFERS,
    OPERATIONS,
    TICKETS,
    Customer,
    Fixture,
    Operation,
    viewer_token,
)
from bench.processes import Process
from bench.report import Check
from gateway.settings import Settings

__all__ = ["StartTarget", "cold_sessions", "cold_start", "half_load", "latency", "soak"]

LATENCY_MS = 100
# operation -> the upstream calls it waits for one after the other, at best
LATENCY_OPERATIONS = {
    "offer_detail": 1,
    "home": 1,  # getAds, the reward summary and the profile, concurrently
    "agent_ticket_detail": 1,  # the ticket and the refund preview, concurrently
    "agent_ticket_search": 3,  # each page's 206 says whether there is another
    "record_impressions": 2,  # the events need the ads' serve tokens
    "activate_offer": 3,  # serve token, the event, then the offer as it now is
}
# No screen in operations/ reaches both upstreams (customers' reach Cardlytics, agents'
# ClickBank), so this one does: an agent's console with the welcome offers beside a ticket. The
# pass-through has no route for it; the gateway's p50 alone tells whether the two overlap.
BOTH_UPSTREAMS = (
    "query AgentConsole($id: ID!) { offers(first: 10) { totalCount nodes { id merchantName } }"
    " vendorTicket(id: $id) { id status type } }"
)
# Few requests in flight, so the process under test never queues them behind its CPU: what
# shows is how its upstream calls overlap. The viewers' sessions are warm from the main runs.
LATENCY_LOAD = Load(concurrency=2, warmup_s=0.5, duration_s=2.0, warm_every_viewer=False)


def _operation(name: str) -> Operation:
    return next(op for op in OPERATIONS if op.name == name)


def _measure(
    op: Operation, target: Process, fixture: Fixture, sandbox: Sandbox, load: Load
) -> Result:
    return run_operation(op.name, op.bodies(fixture), target, sandbox, load)


def latency(
    gateway: Process, passthrough: Process, fixture: Fixture, sandbox: Sandbox
) -> list[str]:
    """p50 with every upstream call answered LATENCY_MS late: concurrent calls cost one wait."""
    lines = [
        "",
        f"### Latency: {LATENCY_MS} ms added to every upstream call",
        "",
        f"{LATENCY_LOAD.concurrency} concurrent requests, {LATENCY_LOAD.duration_s:g} s each. "
        "'In sequence' is the fewest upstream round trips one after another the operation "
        "can make; the rest run concurrently.",
        "",
        "| operation | upstream calls per request | in sequence | gateway p50 ms "
        "| pass-through p50 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    sandbox.faults([{"match": "*", "latency_ms": LATENCY_MS}])
    try:
        for name, in_sequence in LATENCY_OPERATIONS.items():
            op = _operation(name)
            ours = _measure(op, gateway, fixture, sandbox, LATENCY_LOAD)
            theirs = _measure(op, passthrough, fixture, sandbox, LATENCY_LOAD)
            calls = sum(ours.calls_per_request().values())
            lines.append(
                f"| {name} | {calls:.2f} | {in_sequence} | {ours.p50_ms:.1f} "
                f"| {theirs.p50_ms:.1f} | {ours.errors + theirs.errors} |"
            )
        both = _both_upstreams(gateway, fixture, sandbox)
        calls = sum(both.calls_per_request().values())
        lines.append(
            f"| both upstreams (agent console: offers + a ticket) | {calls:.2f} | 1 "
            f"| {both.p50_ms:.1f} | n/a | {both.errors} |"
        )
    finally:
        sandbox.faults([])
    return lines


def _both_upstreams(gateway: Process, fixture: Fixture, sandbox: Sandbox) -> Result:
    bodies = [
        {
            "headers": {"Authorization": f"Bearer {fixture.agent_token}"},
            "body": orjson.dumps({"query": BOTH_UPSTREAMS, "variables": {"id": ticket}}).decode(),
        }
        for ticket, _ in TICKETS
    ]
    return run_operation("both_upstreams", bodies, gateway, sandbox, LATENCY_LOAD)


def half_load(
    gateway: Process,
    passthrough: Process,
    fixture: Fixture,
    sandbox: Sandbox,
    saturated: Result,
    checks: list[Check],
    seconds: float = 5.0,
) -> list[str]:
    """The home screen at half the gateway's saturation rate, on both targets, open loop."""
    rate = saturated.req_per_s / 2
    load = Load(concurrency=8, warmup_s=0.5, duration_s=seconds, rate=rate)
    op = _operation("home")
    ours = _measure(op, gateway, fixture, sandbox, load)
    theirs = _measure(op, passthrough, fixture, sandbox, load)
    above = ours.p99_ms - theirs.p99_ms
    checks.append(
        Check(
            "p99 at half load at most 10 ms above the pass-through's",
            f"{above:+.1f} ms",
            above <= 10,
        )
    )
    return [
        "",
        f"### Half load: the home screen at {rate:.0f} req/s (half the gateway's saturation "
        f"above), {seconds:g} s, open loop",
        "",
        "| target | p50 ms | p99 ms | errors | CPU ms/req |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {r.target} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} "
            f"| {r.cpu_ms_per_request:.2f} |"
            for r in (ours, theirs)
        ),
        "",
        f"p99 above the pass-through's: {above:.1f} ms (target: at most 10).",
    ]


def cold_sessions(
    targets: Sequence[Process],
    sandbox: Sandbox,
    checks: list[Check],
    customers: int = 20,
    each: int = 10,
) -> list[str]:
    """``customers`` never seen before, ``each`` home screens apiece, all sent at once: every
    customer's requests must share one startSession."""
    lines = [
        "",
        f"### Cold sessions: {customers * each} concurrent home screens of {customers} new "
        "customers",
        "",
        "| target | startSession calls | getAds calls | errors |",
        "|---|---:|---:|---:|",
    ]
    load = Load(
        concurrency=customers * each,
        warmup_s=0,
        duration_s=0,
        requests=customers * each,
        warm_every_viewer=False,
    )
    for run, target in enumerate(targets):
        tokens = [viewer_token(Settings(), f"bench-cold-{run}-{n:03d}") for n in range(customers)]
        fixture = Fixture([Customer(t, [], [], HOME_OFFERS) for t in tokens], "")
        bodies = _operation("home").bodies(fixture) * each
        result = run_operation("home", bodies, target, sandbox, load)
        sessions = result.calls.get("startSession", 0)
        lines.append(
            f"| {target.name} | {sessions} | {result.calls.get('getAds', 0)} | {result.errors} |"
        )
        if target.name == "gateway":
            checks.append(
                Check(
                    f"{customers * each} concurrent requests of {customers} new customers: "
                    f"{customers} startSession",
                    f"{sessions} startSession, {result.errors} errors",
                    sessions == customers and not result.errors,
                )
            )
    return lines


class _RssSampler(AbstractContextManager["_RssSampler"]):
    """RSS of a process every ``every_s`` seconds, on a thread, while the block runs."""

    def __init__(self, process: Process, every_s: float = 1.0) -> None:
        self.process = process
        self.every_s = every_s
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append(self.process.rss_mb())

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def soak(
    gateway: Process, fixture: Fixture, sandbox: Sandbox, seconds: float, checks: list[Check]
) -> list[str]:
    """The home screen for ``seconds`` at full concurrency: does the RSS level off?"""
    load = Load(concurrency=32, warmup_s=1.0, duration_s=seconds)
    before = gateway.rss_mb()
    with _RssSampler(gateway) as sampler:
        result = _measure(_operation("home"), gateway, fixture, sandbox, load)
    samples = sampler.samples or [result.rss_mb]
    tenth = max(1, len(samples) // 10)
    first, last = statistics.mean(samples[:tenth]), statistics.mean(samples[-tenth:])
    checks.append(
        Check(
            "RSS flat over the soak (last tenth within 5 % of the first)",
            f"{first:.0f} -> {last:.0f} MB",
            last <= first * 1.05,
        )
    )
    return [
        "",
        f"### Soak: the home screen for {seconds:g} s, {load.concurrency} concurrent",
        "",
        f"{result.count} requests, {result.errors} errors, {result.req_per_s:.0f} req/s, "
        f"{result.cpu_ms_per_request:.2f} CPU ms/req. Gateway RSS: {before:.0f} MB before, "
        f"{first:.0f} MB over the first tenth, {last:.0f} MB over the last tenth, "
        f"{max(samples):.0f} MB at most, {result.rss_mb:.0f} MB at the end.",
    ]


StartTarget = Callable[[dict[str, str], Path], AbstractContextManager[Process]]  # env, log dir


def cold_start(
    starters: Mapping[str, tuple[StartTarget, str]],
    env: dict[str, str],
    work: Path,
    fixture: Fixture,
    runs: int = 3,
) -> list[str]:
    """Process start to the first answered home screen (a 200 without errors), median of
    ``runs``; each start is a fresh process with nothing cached."""
    home = _operation("home").bodies(fixture)[0]
    lines = [
        "",
        f"### Cold start: process start to the first answered home screen (median of {runs})",
        "",
        "| target | ready (healthz) ms | first home screen ms | RSS after it MB |",
        "|---|---:|---:|---:|",
    ]
    for name, (start_target, path) in starters.items():
        ready, first, rss = [], [], []
        for n in range(runs):
            run_dir = work / f"cold-{name}-{n}"
            run_dir.mkdir(parents=True)
            fresh = {**env, "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{run_dir}/store.sqlite3"}
            with start_target(fresh, run_dir) as process:
                first_ms = _first_answer(process, path, home, graphql=name == "gateway")
                ready.append(process.ready_after_s * 1000)
                first.append(first_ms)
                rss.append(process.rss_mb())
        lines.append(
            f"| {name} | {statistics.median(ready):.0f} | {statistics.median(first):.0f} "
            f"| {statistics.median(rss):.0f} |"
        )
    return lines


def _first_answer(process: Process, path: str, body: dict[str, Any], *, graphql: bool) -> float:
    """ms from the spawn to the first good answer (the health check has already answered)."""
    headers = {**body["headers"], "Content-Type": "application/json"}
    for _ in _polls(30.0):
        try:
            response = httpx.post(process.url + path, content=body["body"], headers=headers)
        except httpx.TransportError:
            continue
        if answer_error(response.status_code, response.content, graphql) is None:
            return (time.perf_counter() - process.started_at) * 1000
    raise RuntimeError(f"{process.name} gave no good answer within 30 s")


def _polls(timeout_s: float) -> Iterator[None]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        yield
        time.sleep(0.01)
