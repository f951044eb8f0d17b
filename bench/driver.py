"""The load driver, in its own process so its CPU is never counted as the server's.

``python -m bench.driver SPEC.json``: warms up, prints ``warm`` and waits for a line on stdin
(the parent reads the servers' counters meanwhile), then runs the timed window, waits for every
request in flight, and prints one JSON line of results. Requests go out in the spec's order,
cycling; a fixed number of workers (the concurrency) each send one at a time, or, with a
``rate``, the timed window starts requests on a fixed schedule (open loop).

An error is a non-200, or (``graphql``) an answer with top-level ``errors``, no ``data``, or a
mutation payload whose ``errors`` list is not empty.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson

__all__ = ["answer_error", "percentile"]

_PARENT = os.getppid()


@dataclass
class _Window:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)


def answer_error(status: int, body: bytes, graphql: bool) -> str | None:
    """Why an answer counts as an error, or None. Never echoes the body (it may carry ids)."""
    if status != 200:
        return f"HTTP {status}"
    if not graphql:
        return None
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "not JSON"
    if answer.get("errors"):
        codes = [e.get("extensions", {}).get("code", "?") for e in answer["errors"]]
        return "errors " + ",".join(sorted(set(codes)))
    data = answer.get("data")
    if not isinstance(data, dict):
        return "no data"
    for name, value in data.items():
        if isinstance(value, dict) and value.get("errors"):
            kinds = {e.get("__typename", "?") for e in value["errors"]}
            return f"{name}.errors " + ",".join(sorted(kinds))
    return None


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


async def _run(
    session: aiohttp.ClientSession,
    spec: dict[str, Any],
    requests: list[tuple[dict[str, str], bytes]],
    order: itertools.count[int],
    duration_s: float,
    max_requests: int | None,
    min_requests: int = 0,
) -> _Window:
    window = _Window()
    url, graphql = spec["url"], bool(spec["graphql"])
    deadline = time.perf_counter() + duration_s
    sent = itertools.count()

    async def worker() -> None:
        while time.perf_counter() < deadline or len(window.latencies_ms) < min_requests:
            if os.getppid() != _PARENT:
                return  # the bench is gone: stop loading servers nobody measures
            if max_requests is not None and next(sent) >= max_requests:
                return
            i = next(order)  # shared across windows: the timed one goes on where warm-up ended
            await _send(session, url, graphql, requests[i % len(requests)], window)

    await asyncio.gather(*(worker() for _ in range(int(spec["concurrency"]))))
    return window


async def _run_at_rate(
    session: aiohttp.ClientSession,
    spec: dict[str, Any],
    requests: list[tuple[dict[str, str], bytes]],
    order: itertools.count[int],
    duration_s: float,
    rate: float,
) -> _Window:
    """Open loop: request n starts at n / rate seconds whatever the answers before it, and its
    latency counts from then, so a slow server cannot slow the load that measures it."""
    window = _Window()
    url, graphql = spec["url"], bool(spec["graphql"])
    start = time.perf_counter()
    tasks = []
    for n in itertools.count():
        due = start + n / rate
        if due - start >= duration_s or os.getppid() != _PARENT:
            break
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        request = requests[next(order) % len(requests)]
        tasks.append(asyncio.create_task(_send(session, url, graphql, request, window, due)))
    await asyncio.gather(*tasks)
    return window


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    graphql: bool,
    request: tuple[dict[str, str], bytes],
    window: _Window,
    started: float | None = None,
) -> None:
    headers, body = request
    started = started or time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            content = await response.read()
            problem = answer_error(response.status, content, graphql)
    except aiohttp.ClientError as error:
        problem = type(error).__name__
    window.latencies_ms.append((time.perf_counter() - started) * 1000)
    if problem is not None:
        window.errors += 1
        if len(window.samples) < 5:
            window.samples.append(problem)


async def main(spec: dict[str, Any]) -> None:
    requests = [
        ({**r["headers"], "Content-Type": "application/json"}, r["body"].encode())
        for r in spec["requests"]
    ]
    order = itertools.count()
    rate = spec.get("rate")
    # open loop: as many connections as the backlog needs (up to a bound), as real clients open
    connector = aiohttp.TCPConnector(limit=256 if rate else int(spec["concurrency"]))
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # At least one request per viewer, so no session starts inside the timed window.
        warm = await _run(
            session, spec, requests, order, spec["warmup_s"], None, spec["warmup_requests"]
        )
        print(orjson.dumps({"warm": len(warm.latencies_ms), "errors": warm.errors}).decode())
        sys.stdout.flush()
        if not await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline):
            return  # the bench is gone (end of stdin): nobody to measure for
        started = time.perf_counter()
        max_requests = spec.get("requests_count")
        if rate:
            timed = await _run_at_rate(session, spec, requests, order, spec["duration_s"], rate)
        else:
            timed = await _run(
                session,
                spec,
                requests,
                order,
                spec["duration_s"] if max_requests is None else 3600.0,
                max_requests,
            )
        elapsed = time.perf_counter() - started
    latencies = sorted(timed.latencies_ms)
    result = {
        "count": len(latencies),
        "errors": timed.errors,
        "error_samples": timed.samples,
        "elapsed_s": elapsed,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "warmup_errors": warm.errors,
    }
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    asyncio.run(main(orjson.loads(Path(sys.argv[1]).read_bytes())))
