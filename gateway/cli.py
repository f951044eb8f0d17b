"""``rewards-gateway``: run the gateway, run the sandbox, export and check the schema."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
import uvloop
from fastapi import FastAPI
from pydantic import AnyHttpUrl, SecretStr, ValidationError

from gateway.logs import configure_logging
from gateway.settings import (
    SandboxSettings,
    Settings,
    describe_validation_error,
    unknown_environment_names,
)

if TYPE_CHECKING:
    from gateway.rewards_import import ImportSummary

__all__ = ["SERVE_LOOP", "main"]

# The loop ``serve`` runs on: uvloop, what ``uvicorn.run`` picks when it is installed (the
# benchmark's pass-through runs that way). On asyncio's own loop the home screen cost 4 % more
# instructions (13.5-13.9 against 13.0-13.2 M, ``python -m bench.instructions --target gateway``).
SERVE_LOOP = uvloop.new_event_loop

SCHEMA_FILE = Path("schema/schema.graphql")

DESCRIPTION = """\
GraphQL gateway over the Cardlytics Rewards Platform and the ClickBank tickets API.
Settings come from the environment (prefix GATEWAY_; the simulators' GATEWAY_SANDBOX_),
see README.md."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    unknown = unknown_environment_names(os.environ)
    if unknown:
        print(f"rewards-gateway: unknown setting {unknown[0]} (see README.md)", file=sys.stderr)
        return 2
    try:
        code: int = args.handler(args)
        return code
    except ValidationError as error:
        prefix = "GATEWAY_SANDBOX_" if error.title == "SandboxSettings" else "GATEWAY_"
        print(f"rewards-gateway: {describe_validation_error(error, prefix)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rewards-gateway", description=DESCRIPTION)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the gateway (GraphQL at /graphql)",
        description="Run the gateway on GATEWAY_HOST:GATEWAY_PORT (default 127.0.0.1:8000). "
        "With --sandbox, both upstream simulators run beside it in the same process on "
        "GATEWAY_SANDBOX_PORT (default 8100) and the gateway talks to them.",
    )
    serve.add_argument("--sandbox", action="store_true", help="also run both simulators")
    serve.add_argument("--host", help="override GATEWAY_HOST")
    serve.add_argument("--port", type=int, help="override GATEWAY_PORT")
    serve.set_defaults(handler=_serve)

    sandbox = commands.add_parser(
        "sandbox",
        help="run the upstream simulators alone",
        description="Run the Cardlytics (/cardlytics) and ClickBank (/clickbank) simulators "
        "in one server, for a gateway or a test in another process. Control endpoints: "
        "/cardlytics/_sandbox/... and /clickbank/_sandbox/... (faults, stats, reset).",
    )
    sandbox.add_argument("--host", help="override GATEWAY_SANDBOX_HOST")
    sandbox.add_argument("--port", type=int, help="override GATEWAY_SANDBOX_PORT")
    sandbox.set_defaults(handler=_sandbox)

    token = commands.add_parser(
        "token",
        help="print a sandbox viewer token (for GraphiQL and curl)",
        description="Print a bearer JWT the gateway accepts in sandbox mode, signed with "
        "GATEWAY_JWT_SHARED_KEY. Send it as 'Authorization: Bearer <token>'. --agent "
        "without --customer gives an agent whose id is 'agent'.",
    )
    token.add_argument("--customer", help="the customer's id at the bank, e.g. alice")
    token.add_argument("--agent", action="store_true", help="a support agent's token")
    token.add_argument(
        "--hours", type=float, default=12.0, help="how long it is valid (default 12)"
    )
    token.set_defaults(handler=_token)

    import_rewards = commands.add_parser(
        "import-rewards",
        help="load a Cardlytics reward file into the store",
        description="Load a reward file (the document's records: one JSON object, an array of "
        "them, or JSON Lines) into the store at GATEWAY_DATABASE_URL. Idempotent: a record "
        "imported before is counted as a duplicate. Progress on stderr; the summary (new, "
        "duplicate, rejected) on stdout. Exit status 1 when a record was rejected.",
    )
    import_rewards.add_argument("file", type=Path, help="the reward file")
    import_rewards.set_defaults(handler=_import_rewards)

    schema_cmd = commands.add_parser("schema", help="export or check the GraphQL schema")
    schema_sub = schema_cmd.add_subparsers(required=True, metavar="ACTION")
    export = schema_sub.add_parser("export", help="print the SDL, or write it with --output")
    export.add_argument("--output", type=Path, help="file to write (e.g. schema/schema.graphql)")
    export.set_defaults(handler=_schema_export)
    check = schema_sub.add_parser(
        "check", help="list breaking changes against schema/schema.graphql at a git ref"
    )
    check.add_argument("--base", default="HEAD", help="git ref to compare with (default HEAD)")
    check.set_defaults(handler=_schema_check)
    return parser


def _serve(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {
        k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None
    }
    sandbox_settings = SandboxSettings() if args.sandbox else None
    if sandbox_settings is not None:
        # --sandbox means "talk to the simulators started beside me", wherever they listen.
        base = f"http://{sandbox_settings.host}:{sandbox_settings.port}"
        overrides["cardlytics_base_url"] = f"{base}/cardlytics"
        overrides["clickbank_base_url"] = f"{base}/clickbank/rest/1.3"
        # The simulator signs its webhooks with a key made now; the gateway verifies them with
        # its public half, so the sandbox works without any key configured.
        signing_pem = (
            sandbox_settings.webhook_signing_key_pem.get_secret_value() or _new_signing_key()
        )
        overrides["webhook_public_key_pem"] = _public_half(signing_pem)
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if sandbox_settings is not None and settings.mode == "live":
        print("rewards-gateway: --sandbox cannot be used with GATEWAY_MODE=live", file=sys.stderr)
        return 2
    if sandbox_settings is not None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
        sandbox_settings = sandbox_settings.model_copy(
            update={
                "webhook_signing_key_pem": SecretStr(signing_pem),
                "webhook_url": sandbox_settings.webhook_url
                or AnyHttpUrl(f"http://{host}:{settings.port}/webhooks/cardlytics"),
            }
        )
    configure_logging(settings.log_level)
    with asyncio.Runner(loop_factory=SERVE_LOOP) as runner:
        runner.run(_run_servers(settings, sandbox_settings))
    return 0


async def _run_servers(settings: Settings, sandbox_settings: SandboxSettings | None) -> None:
    from gateway.app import create_app

    servers = [_server(create_app(settings), settings.host, settings.port)]
    if sandbox_settings is not None:
        from gateway.sandbox.app import create_sandbox_app

        servers.append(
            _server(
                create_sandbox_app(sandbox_settings), sandbox_settings.host, sandbox_settings.port
            )
        )
    _settle_the_heap(settings.gc_gen0_threshold)
    print(f"GraphiQL: http://{settings.host}:{settings.port}/graphql", file=sys.stderr)
    await asyncio.gather(*(server.serve() for server in servers))


def _settle_the_heap(gen0_threshold: int | None = None) -> None:
    # Everything built so far (modules, the schema, the app) lives as long as the process: frozen,
    # the collector's full passes no longer walk it. Each request allocates thousands of
    # short-lived containers (a getAds answer alone ~1,000), so a larger first generation means
    # fewer passes over objects that are about to die anyway, at the price of a higher peak of
    # them in memory.
    gc.collect()
    gc.freeze()
    if gen0_threshold is not None:
        gc.set_threshold(gen0_threshold, 10, 10)


def _server(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    )


def _sandbox(args: argparse.Namespace) -> int:
    from gateway.sandbox.app import create_sandbox_app

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = SandboxSettings(**overrides)
    configure_logging("INFO")
    print(f"sandbox: http://{settings.host}:{settings.port}", file=sys.stderr)
    app = create_sandbox_app(settings)
    # The simulators' catalogues are built above and live as long as the process: frozen, the
    # collector's full passes (which stall every request in flight) no longer walk them. The
    # gateway's default first generation too: under the benchmark's load the sandbox made 448
    # collections over 3 ms in one run (106 of them full), 99 with it (2 full).
    _settle_the_heap(Settings.model_fields["gc_gen0_threshold"].default)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    from gateway.auth import Role, issue_sandbox_token

    settings = Settings()
    if settings.mode == "live":
        print("rewards-gateway: token prints sandbox tokens only", file=sys.stderr)
        return 2
    if args.customer is None and not args.agent:
        print("rewards-gateway: give --customer ID, --agent, or both", file=sys.stderr)
        return 2
    if args.hours <= 0:
        print("rewards-gateway: --hours must be positive", file=sys.stderr)
        return 2
    print(
        issue_sandbox_token(
            args.customer or "agent",
            role=Role.AGENT if args.agent else Role.CUSTOMER,
            shared_key=settings.jwt_shared_key,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime_s=int(args.hours * 3600),
        )
    )
    return 0


def _new_signing_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _public_half(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _import_rewards(args: argparse.Namespace) -> int:
    from gateway.rewards_import import RewardFileUnreadable, read_reward_file

    settings = Settings()
    try:
        records = read_reward_file(args.file)
    except RewardFileUnreadable as error:
        print(f"rewards-gateway: {error}", file=sys.stderr)
        return 2
    summary = asyncio.run(_import_records(settings, records))
    for problem in summary.rejected:
        print(f"rejected {problem}", file=sys.stderr)
    print(summary.line())
    return 1 if summary.rejected else 0


async def _import_records(settings: Settings, records: list[object]) -> ImportSummary:
    from gateway.rewards_import import import_rewards
    from gateway.store.db import Database

    database = Database(settings.database_url)
    try:
        await database.migrate()
        return await import_rewards(database, records, progress=_progress_bar)
    finally:
        await database.aclose()
        if records:
            print(file=sys.stderr)  # end the progress line


def _progress_bar(done: int, total: int, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    print(f"\rimporting [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)


def _schema_sdl() -> str:
    from schema import schema

    return schema.as_str() + "\n"


def _schema_export(args: argparse.Namespace) -> int:
    sdl = _schema_sdl()
    if args.output is None:
        sys.stdout.write(sdl)
    else:
        args.output.write_text(sdl)
    return 0


def _schema_check(args: argparse.Namespace) -> int:
    from schema.evolution import breaking_changes

    try:
        base_sdl = subprocess.run(
            ["git", "show", f"{args.base}:{SCHEMA_FILE}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except subprocess.CalledProcessError as error:
        print(
            f"rewards-gateway: cannot read {SCHEMA_FILE} at {args.base}: {error.stderr.strip()}",
            file=sys.stderr,
        )
        return 2
    changes = breaking_changes(base_sdl, _schema_sdl())
    for change in changes:
        print(f"BREAKING {change}")
    print(f"{len(changes)} breaking change(s) against {args.base}")
    return 1 if changes else 0


if __name__ == "__main__":
    raise SystemExit(main())
