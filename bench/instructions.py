"""``python -m bench.instructions``: what one request costs in executed instructions.

CPU time per request on a shared machine moves with whatever else runs there (another process on
the same core changes caches and clock speed; runs minutes apart differ by a fifth). valgrind's
callgrind counts the instructions a process executes instead: the same count for the same code,
inputs and environment, whatever else the machine is doing. So a change's effect can be read
from one run before and one after, down to a percent.

Each target (the gateway as deployed, the pass-through) runs under callgrind with counting off.
For each operation: warm-up requests, one at a time; counting on; ``--requests`` requests, one at
a time; counting off; the count is dumped and read. Python under valgrind runs some fifty times
slower, so a few requests per operation is all it takes (and all there is time for): about half a
minute per target and operation. Needs valgrind (Debian's package; on this project's machines).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import (
    add_gateway_env,
    gateway_settings,
    start_gateway,
    start_passthrough,
    start_sandbox,
    upstream_env,
)
from bench.driver import answer_error
from bench.operations import OPERATIONS, Operation, load_fixture
from bench.processes import Process
from bench.report import RESULTS_DIR, machine_facts
from gateway.settings import Settings

__all__ = ["main"]

DEFAULT_OPERATIONS = ("home",)
# Under valgrind the interpreter's start-up alone takes half a minute.
READY_TIMEOUT_S = 300.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    extra = gateway_settings(parser, args)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("bench.instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    operations = [op for op in OPERATIONS if op.name in (args.only or DEFAULT_OPERATIONS)]
    counts: dict[str, dict[str, float]] = {op.name: {} for op in operations}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rg-instr-")))
        sandbox = stack.enter_context(start_sandbox(work))
        env = {**upstream_env(sandbox.url, work, "gateway"), **extra}
        fixture = load_fixture(Settings(), sandbox.url, customers=8)
        starters = {"gateway": start_gateway, "pass-through": start_passthrough}
        for name, starter in starters.items():
            if args.target and name not in args.target:
                continue
            out = work / f"{name}.callgrind"
            under = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
            print(f"bench.instructions: starting the {name} under callgrind", file=sys.stderr)
            with starter(
                env,
                work,
                under=[*under, f"--callgrind-out-file={out}"],
                ready_timeout_s=READY_TIMEOUT_S,
            ) as target:
                for dump, op in enumerate(operations, 1):
                    if op.resets:
                        sandbox.reset()
                    total = _count(target, op, op.bodies(fixture), args, out, dump)
                    counts[op.name][name] = total / args.requests
                    print(
                        f"  {op.name:<20} {name:<13} "
                        f"{counts[op.name][name] / 1e6:8.2f} M instructions per request",
                        file=sys.stderr,
                    )
    text = _markdown(counts, args)
    print(text)
    if not args.no_write:
        facts = machine_facts()
        directory = args.output or RESULTS_DIR
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{facts['date'][:10]}-instructions.md"
        head = f"# Instructions per request {facts['date']}\n\ncommit {facts['commit']}\n\n"
        path.write_text(f"{head}{text}\n")
        print(f"written to {path}", file=sys.stderr)
    return 0


def _count(
    target: Process,
    op: Operation,
    bodies: list[dict[str, Any]],
    args: argparse.Namespace,
    out: Path,
    dump: int,
) -> float:
    """Instructions the target executed over ``args.requests`` requests of ``op``."""
    path = "/graphql" if target.name == "gateway" else f"/bench/{op.name}"
    # One customer's requests only: at a fiftieth of the speed, a customer seen once a second
    # would miss every short-lived cache (the gateway's 2 s "no stored rewards") that under
    # the real load it hits; one customer misses them about as often as in ``python -m bench``.
    own = [b for b in bodies if b["headers"] == bodies[0]["headers"]]
    with httpx.Client(base_url=target.url, timeout=120) as client:

        def send(index: int) -> None:
            body = own[index % len(own)]
            answer = client.post(
                path,
                content=body["body"],
                headers={**body["headers"], "Content-Type": "application/json"},
            )
            graphql = target.name == "gateway"
            if (why := answer_error(answer.status_code, answer.content, graphql)) is not None:
                raise RuntimeError(f"{op.name} on the {target.name}: {why}")

        for index in range(args.warmup):
            send(index)
        _control(target, "--zero")
        _control(target, "--instr=on")
        for index in range(args.requests):
            send(args.warmup + index)
        _control(target, "--instr=off")
        _control(target, "--dump")
    return _totals(Path(f"{out}.{dump}"))


def _control(target: Process, command: str) -> None:
    subprocess.run(["callgrind_control", command, str(target.pid)], check=True, capture_output=True)


def _totals(dump: Path, timeout_s: float = 60) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if dump.exists():
            for line in dump.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    return float(line.split()[1])
        time.sleep(0.2)  # callgrind writes the dump in its own time
    raise RuntimeError(f"no callgrind totals in {dump}")


def _markdown(counts: dict[str, dict[str, float]], args: argparse.Namespace) -> str:
    lines = [
        f"{args.requests} requests per operation and target, one at a time, after "
        f"{args.warmup} of warm-up; instructions executed by the target process (callgrind).",
        "",
        "| operation | gateway M instructions/request | pass-through | gateway / pass-through |",
        "|---|---:|---:|---:|",
    ]
    for name, by_target in counts.items():
        ours, theirs = by_target.get("gateway", 0.0), by_target.get("pass-through", 0.0)
        ratio = f"{ours / theirs:.2f}x" if theirs else "-"
        lines.append(f"| {name} | {ours / 1e6:.2f} | {theirs / 1e6:.2f} | {ratio} |")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.instructions", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[op.name for op in OPERATIONS],
        help=f"an operation to count (repeatable; default: {', '.join(DEFAULT_OPERATIONS)})",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=["gateway", "pass-through"],
        help="count this target only (repeatable; default both)",
    )
    add_gateway_env(parser)
    parser.add_argument("--requests", type=int, default=10, help="counted requests (default 10)")
    parser.add_argument("--warmup", type=int, default=20, help="requests first (default 20)")
    parser.add_argument("--output", type=Path, help="results directory (default bench/results)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
