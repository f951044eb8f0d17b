"""``python -m bench``: the gateway and the pass-through under the same load, one table.

Starts the sandbox, the gateway (as deployed: no reload, logs at WARNING) and the pass-through
on free 127.0.0.1 ports, pinned to cores where the machine has two; drives each operation
against the gateway, then against the pass-through; prints the table and writes it to
``bench/results/<date>.md``. See README "Performance".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import node_reference, profile, scenarios
from bench.measure import Load, Result, Sandbox, run_load, run_operation
from bench.operations import OPERATIONS, Fixture, Operation, load_fixture
from bench.processes import CPU_DRIVER, CPU_SERVER, Process, free_port, start
from bench.report import (
    RESULTS_DIR,
    Check,
    Report,
    errors_seen,
    log_summary,
    machine_facts,
    table_checks,
)
from gateway.settings import Settings

FULL = Load(concurrency=32, warmup_s=1.5, duration_s=6.0)
QUICK = Load(concurrency=8, warmup_s=0.2, duration_s=0.5)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test of a few seconds")
    parser.add_argument(
        "--only",
        action="append",
        choices=[op.name for op in OPERATIONS],
        help="measure this operation only (repeatable); no scenarios",
    )
    parser.add_argument("--duration", type=float, help="seconds of each timed window")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each window")
    parser.add_argument("--requests", type=int, help="a fixed request count instead of --duration")
    parser.add_argument("--concurrency", type=int, help="requests in flight (default 32)")
    parser.add_argument("--customers", type=int, help="distinct customers (default 32, quick 8)")
    parser.add_argument(
        "--no-scenarios", action="store_true", help="skip latency, soak and cold start"
    )
    parser.add_argument("--soak", type=float, default=30.0, help="seconds of the soak")
    parser.add_argument(
        "--reference-client",
        choices=("gateway", "httpx"),
        default="gateway",
        help="the pass-through's HTTP client: the gateway's setup (default) or plain httpx",
    )
    add_gateway_env(parser)
    parser.add_argument(
        "--faults",
        type=json.loads,
        default=[],
        metavar="JSON",
        help="sandbox fault rules for the table's runs (README: The sandbox), e.g. "
        '\'[{"match": "POST /v2/ads/getAds", "error_status": 503, "error_rate": 0.1}]\'',
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="py-spy the gateway through each timed window: DIR/<operation>.txt and a summary",
    )
    parser.add_argument(
        "--node-reference",
        action="store_true",
        help="also measure the Node gateway (bench/node-reference: Hive Gateway over GraphQL "
        "Mesh's OpenAPI source) on the home screen; needs node and npm (npm ci on first use)",
    )
    parser.add_argument("--output", type=Path, help="results directory (default bench/results)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser


def _load(args: argparse.Namespace) -> Load:
    base = QUICK if args.quick else FULL
    return Load(
        concurrency=args.concurrency or base.concurrency,
        warmup_s=base.warmup_s if args.warmup is None else args.warmup,
        duration_s=args.duration or base.duration_s,
        requests=args.requests,
    )


def add_gateway_env(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--gateway-env",
        action="append",
        default=[],
        metavar="GATEWAY_NAME=VALUE",
        help="a setting for the gateway (repeatable), e.g. GATEWAY_ADS_CACHE_TTL_S=5",
    )


def gateway_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """``--gateway-env``'s settings; the shell's own GATEWAY_* are dropped."""
    extra = dict(item.partition("=")[::2] for item in args.gateway_env)
    if any(not name.startswith("GATEWAY_") for name in extra):
        parser.error("--gateway-env takes GATEWAY_NAME=VALUE")
    # The bench configures every process itself; a GATEWAY_* left in the shell (a Redis, a live
    # key) would make the gateway and the pass-through differ from each other or from the tokens.
    for name in [n for n in os.environ if n.startswith("GATEWAY_")]:
        del os.environ[name]
    return extra


# Not a GATEWAY_ name: the gateway refuses unknown ones. Read by start_passthrough.
REFERENCE_CLIENT = "BENCH_REFERENCE_CLIENT"


def upstream_env(sandbox_url: str, work: Path, reference_client: str) -> dict[str, str]:
    """The settings a deployment would give the gateway, pointed at the sandbox."""
    return {
        REFERENCE_CLIENT: reference_client,
        "GATEWAY_CARDLYTICS_BASE_URL": f"{sandbox_url}/cardlytics",
        "GATEWAY_CLICKBANK_BASE_URL": f"{sandbox_url}/clickbank/rest/1.3",
        "GATEWAY_LOG_LEVEL": "WARNING",
        "GATEWAY_GRAPHIQL": "false",
        "GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{work}/store.sqlite3",
    }


@contextmanager
def start_gateway(env: dict[str, str], work: Path, **options: Any) -> Iterator[Process]:
    port = free_port()
    args = ["gateway.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with start(
        "gateway", args, port=port, cpu=CPU_SERVER, env=env, log_dir=work, **options
    ) as process:
        yield process


@contextmanager
def start_passthrough(env: dict[str, str], work: Path, **options: Any) -> Iterator[Process]:
    port = free_port()
    args = ["bench.passthrough", "--port", str(port), "--client", env[REFERENCE_CLIENT]]
    with start(
        "pass-through", args, port=port, cpu=CPU_SERVER, env=env, log_dir=work, **options
    ) as process:
        yield process


@contextmanager
def start_sandbox(work: Path) -> Iterator[Sandbox]:
    port = free_port()
    args = ["gateway.cli", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    with start("sandbox", args, port=port, cpu=CPU_DRIVER, log_dir=work) as process:
        yield Sandbox(process)


def measure_operation(
    op: Operation,
    targets: Sequence[Process],
    fixture: Fixture,
    sandbox: Sandbox,
    load: Load,
    faults: list[dict[str, object]],
    profile_dir: Path | None = None,
) -> list[Result]:
    bodies = op.bodies(fixture)
    results = []
    for target in targets:
        if op.resets:
            sandbox.reset()  # faults too: put them back
            sandbox.faults(faults)
        profile_to = None
        if profile_dir is not None and target.name == "gateway":
            profile_to = profile_dir / f"{op.name}.txt"
        result = run_operation(op.name, bodies, target, sandbox, load, profile_to)
        if profile_to is not None:
            print("\n".join(profile.summary(profile_to)), file=sys.stderr)
        _progress(op.name, target.name, result)
        results.append(result)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    extra = gateway_settings(parser, args)
    load = _load(args)
    args.customers = args.customers or (8 if args.quick else 32)
    report = Report(settings=_settings_line(args, load, extra))
    if args.profile:
        report.notes.append(
            f"Profiled with py-spy ({args.profile}): the gateway's figures "
            "include its sampling pauses."
        )
    try:
        _run(args, load, extra, report)
    except node_reference.NodeReferenceError as error:
        print(f"bench: the Node reference: {error}", file=sys.stderr)
        return 2
    report.checks[:0] = table_checks(report.results)
    report.notes += errors_seen(report.results)
    facts = machine_facts()
    print(report.markdown(facts))
    if not args.no_write:
        print(f"written to {report.write(facts, args.output or RESULTS_DIR)}", file=sys.stderr)
    return 1 if any(r.errors for r in report.results) else 0


def _settings_line(args: argparse.Namespace, load: Load, extra: dict[str, str]) -> str:
    return (
        f"Load: {load.concurrency} concurrent requests, "
        + (f"{load.requests} requests" if load.requests else f"{load.duration_s:g} s")
        + f" per operation and target after {load.warmup_s:g} s of warm-up; "
        f"{args.customers} customers. CPU: the target process's utime+stime (/proc) over the "
        "timed window divided by its requests. The pass-through's HTTP client: "
        + ("the gateway's." if args.reference_client == "gateway" else "plain httpx.")
        + "".join(f" {name}={value}." for name, value in extra.items())
    )


def _run(args: argparse.Namespace, load: Load, extra: dict[str, str], report: Report) -> None:
    operations = [op for op in OPERATIONS if not args.only or op.name in args.only]
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rg-bench-")))
        sandbox = stack.enter_context(start_sandbox(work))
        env = {**upstream_env(sandbox.url, work, args.reference_client), **extra}
        fixture = load_fixture(Settings(), sandbox.url, args.customers)
        sandbox.faults(args.faults)
        node = None
        if args.node_reference:
            print("bench: installing and composing the Node reference", file=sys.stderr)
            node_reference.prepare(f"{sandbox.url}/cardlytics")
            node = stack.enter_context(node_reference.serve(work))
            report.notes.append(node_reference.NOTE)
        print("bench: starting the gateway and the pass-through", file=sys.stderr)
        gateway = stack.enter_context(start_gateway(env, work))
        passthrough = stack.enter_context(start_passthrough(env, work))
        for op in operations:
            report.results += measure_operation(
                op, (gateway, passthrough), fixture, sandbox, load, args.faults, args.profile
            )
            if node is not None and op.name == "home":
                report.results.append(_measure_node(node, fixture, sandbox, load))
        sandbox.faults([])  # the scenarios set their own
        if not (args.quick or args.only or args.no_scenarios):
            home = next(r for r in report.results if (r.operation, r.target) == ("home", "gateway"))
            report.scenarios += _scenarios(
                gateway, passthrough, fixture, sandbox, home, args.soak, report.checks
            )
            starters: dict[str, tuple[scenarios.StartTarget, str]] = {
                "gateway": (start_gateway, "/graphql"),
                "pass-through": (start_passthrough, "/bench/home"),
            }
            report.scenarios += scenarios.cold_start(starters, env, work, fixture)
        report.notes += [
            log_summary(p.name, work / f"{p.name}.log") for p in (gateway, passthrough)
        ]
        if node is not None:
            report.notes.append(node_reference.log_summary(work / f"{node.name}.log"))


def _measure_node(node: Process, fixture: Fixture, sandbox: Sandbox, load: Load) -> Result:
    # sessions started now, before the warm-up: none in the timed window, as for the others
    bodies = node_reference.home_bodies(fixture, Settings(), sandbox.url)
    load = node_reference.warmed(load)
    result = run_load("home", node, "/graphql", bodies, sandbox, load, graphql=True)
    _progress("home", node.name, result)
    return result


def _progress(operation: str, target: str, result: Result) -> None:
    print(
        f"  {operation:<20} {target:<13} {result.req_per_s:7.0f} req/s "
        f"{result.cpu_ms_per_request:6.2f} CPU ms/req  {result.errors} errors",
        file=sys.stderr,
    )


def _scenarios(
    gateway: Process,
    passthrough: Process,
    fixture: Fixture,
    sandbox: Sandbox,
    home: Result,
    soak_s: float,
    checks: list[Check],
) -> list[str]:
    # The operations above leave the sandbox holding what they did (thousands of impressions
    # per customer): the scenarios start from a fresh one, as each mutating operation does.
    sandbox.reset()
    return [
        *scenarios.half_load(gateway, passthrough, fixture, sandbox, home, checks),
        *scenarios.latency(gateway, passthrough, fixture, sandbox),
        *scenarios.cold_sessions((gateway, passthrough), sandbox, checks),
        *scenarios.soak(gateway, fixture, sandbox, soak_s, checks),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
