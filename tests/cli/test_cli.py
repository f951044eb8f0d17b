"""The ``rewards-gateway`` command as an operator runs it: real processes on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import httpx
import jwt
import pytest
import uvloop

from gateway.settings import SANDBOX_DEFAULTS
from tests.support.servers import free_port

COMMAND = [sys.executable, "-m", "gateway.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**_clean_env(), **(env or {})},
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}


@contextmanager
def running(*args: str, env: dict[str, str], ready_url: str) -> Iterator[subprocess.Popen[str]]:
    # Output goes to a file, not a pipe nobody reads, so a chatty server can never block on it.
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [*COMMAND, *args],
            env={**_clean_env(), **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_until_ready(process, ready_url, output)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=15)


def _wait_until_ready(process: subprocess.Popen[str], url: str, output: IO[str]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output.seek(0)
            pytest.fail(f"{process.args!r} did not come up: {output.read()[-2000:]}")
        time.sleep(0.1)


def test_help_explains_each_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("serve", "sandbox", "schema"):
        assert command in result.stdout
    serve_help = run("serve", "--help").stdout
    assert "--sandbox" in serve_help
    assert "simulators" in serve_help


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GATEWAY_PORT": "eighty"}, "GATEWAY_PORT"),
        ({"GATEWAY_CARDLYTICS_BASE_URL": "not a url"}, "GATEWAY_CARDLYTICS_BASE_URL"),
        ({"GATEWAY_RETRY_ATTEMPTS": "0"}, "GATEWAY_RETRY_ATTEMPTS"),
        ({"GATEWAY_MODE": "live"}, "GATEWAY_CARDLYTICS_CLIENT_ID"),
        ({"GATEWAY_UNKNOWN_THING": "1"}, "GATEWAY_UNKNOWN_THING"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line_naming_it(
    env: dict[str, str], named: str
) -> None:
    result = run("serve", env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_sandbox_setting_names_the_sandbox_variable() -> None:
    result = run("sandbox", env={"GATEWAY_SANDBOX_SESSION_TOKEN_TTL_S": "-5"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert "GATEWAY_SANDBOX_SESSION_TOKEN_TTL_S" in result.stderr


def test_a_secret_in_a_bad_setting_is_not_echoed() -> None:
    result = run(
        "serve",
        env={
            "GATEWAY_MODE": "live",
            "GATEWAY_CARDLYTICS_CLIENT_ID": "real",
            "GATEWAY_CARDLYTICS_SECRET": SANDBOX_DEFAULTS.cardlytics_secret,
        },
    )
    assert result.returncode == 2
    assert "GATEWAY_CARDLYTICS_SECRET" in result.stderr
    assert SANDBOX_DEFAULTS.cardlytics_secret not in result.stderr


def test_sandbox_command_serves_both_simulators() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with running("sandbox", "--port", str(port), env={}, ready_url=f"{base}/healthz"):
        session = httpx.post(
            f"{base}/cardlytics/v2/session/startSession",
            json={
                "clientId": SANDBOX_DEFAULTS.cardlytics_client_id,
                "secret": SANDBOX_DEFAULTS.cardlytics_secret,
            },
            headers={"x-source-customer-id": "alice"},
        )
        assert session.status_code == 200
        assert session.json()["sessionToken"]
        count = httpx.get(
            f"{base}/clickbank/rest/1.3/tickets/count",
            headers={
                "Authorization": SANDBOX_DEFAULTS.clickbank_api_key,
                "Accept": "application/json",
            },
        )
        assert count.status_code == 200, count.text


def test_serve_with_sandbox_runs_gateway_against_the_simulators() -> None:
    gateway_port, sandbox_port = free_port(), free_port()
    gateway = f"http://127.0.0.1:{gateway_port}"
    with running(
        "serve",
        "--sandbox",
        "--port",
        str(gateway_port),
        env={"GATEWAY_SANDBOX_PORT": str(sandbox_port)},
        ready_url=f"{gateway}/healthz",
    ):
        answer = httpx.post(f"{gateway}/graphql", json={"query": "{ upstreams { name breaker } }"})
        assert answer.status_code == 200
        assert answer.json()["data"]["upstreams"] == [
            {"name": "cardlytics", "breaker": "CLOSED"},
            {"name": "clickbank", "breaker": "CLOSED"},
        ]
        assert httpx.get(f"http://127.0.0.1:{sandbox_port}/healthz").status_code == 200
        graphiql = httpx.get(f"{gateway}/graphql", headers={"Accept": "text/html"})
        assert graphiql.status_code == 200
        assert "graphiql" in graphiql.text.lower()


@pytest.mark.parametrize(
    ("args", "role", "subject"),
    [
        (("--customer", "alice"), "customer", "alice"),
        (("--agent",), "agent", "agent"),
        (("--customer", "bob", "--agent"), "agent", "bob"),
    ],
)
def test_token_prints_a_sandbox_token_of_the_asked_role(
    args: tuple[str, ...], role: str, subject: str
) -> None:
    result = run("token", *args)
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(
        result.stdout.strip(),
        SANDBOX_DEFAULTS.jwt_shared_key,
        algorithms=["HS256"],
        audience="rewards-gateway",
        issuer="rewards-gateway-sandbox",
    )
    assert (claims["role"], claims["sub"]) == (role, subject)
    assert claims["exp"] - claims["iat"] == 12 * 3600


@pytest.mark.parametrize(
    ("args", "env"),
    [((), {}), (("--customer", "alice"), {"GATEWAY_MODE": "live"})],
)
def test_token_refuses_without_a_viewer_or_in_live_mode(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    result = run("token", *args, env=env)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_schema_check_finds_no_breaking_change_against_the_committed_schema() -> None:
    result = run("schema", "check", "--base", "HEAD")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 breaking change(s) against HEAD" in result.stdout


def test_schema_check_names_an_unknown_ref_in_one_line() -> None:
    result = run("schema", "check", "--base", "no-such-ref-xyz")
    assert result.returncode == 2
    assert "no-such-ref-xyz" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_runs_on_uvloop_as_uvicorn_run_would() -> None:
    # The benchmark's pass-through runs under uvicorn.run, which picks uvloop; asyncio's own loop
    # cost the gateway 4 % more instructions per home screen. The serve test above runs on it.
    from gateway.cli import SERVE_LOOP

    with asyncio.Runner(loop_factory=SERVE_LOOP) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
