"""The Node reference (``python -m bench --node-reference``): Hive Gateway over GraphQL Mesh's
OpenAPI source for the home screen's three Cardlytics calls, the "Node gateway" issue 5 compares
us with, measured on this machine in the same run (README "Performance").

It does less than our gateway and is favoured for it: the bench starts each customer's session
itself, before the timed window, and the driver sends the session token and the hashed customer
id as request headers, which the OpenAPI source forwards upstream as they are (no JWT check, no
HMAC, no session cache, no error mapping). Only the home screen is set up.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.measure import Load
from bench.operations import HOME_OFFERS, Fixture, start_session
from bench.processes import CPU_SERVER, Process, free_port, start
from gateway.settings import Settings

__all__ = [
    "HOME_DOCUMENT",
    "NAME",
    "NODE_DIR",
    "NOTE",
    "NodeReferenceError",
    "home_bodies",
    "log_summary",
    "prepare",
    "serve",
    "warmed",
]

NAME = "node-gateway"
NODE_DIR = Path(__file__).resolve().parent / "node-reference"
HOME_DOCUMENT = NODE_DIR / "home.graphql"
_INSTALL_TIMEOUT_S = 600
_COMPOSE_TIMEOUT_S = 120
# V8 compiles the hot paths as it goes: its CPU per request still falls after 1.5 s of load
# (by a fifth from the first 20 s window to the fourth, measured): the Node reference warms up
# this long at least, so it is measured warm, as a long-running deployment would be.
NODE_WARMUP_S = 20.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


NOTE = (
    f"{NAME}: the Node reference (bench/node-reference), home screen only (the other "
    f"operations are not set up for it), after at least {NODE_WARMUP_S:g} s of warm-up. "
    "Favoured: the bench starts its sessions and sends the session token and hashed customer "
    "id as headers, which it forwards unchecked (no JWT, no HMAC, no session cache); it "
    "answers all the filter's offers (~54), ours the first 50."
)


class NodeReferenceError(RuntimeError):
    """node or npm missing, or the install or the composition failed."""


def prepare(cardlytics_url: str) -> None:
    """Install (``npm ci``) when node_modules is missing or older than the lock file, then
    compose the supergraph against ``cardlytics_url``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise NodeReferenceError("--node-reference needs node (v20 or later) and npm on PATH")
    if _stale():
        _run([npm, "ci", "--no-audit", "--no-fund"], "npm ci", _INSTALL_TIMEOUT_S)
    compose = [node, "node_modules/@graphql-mesh/compose-cli/esm/bin.js"]
    _run(compose, "mesh-compose", _COMPOSE_TIMEOUT_S, CARDLYTICS_URL=cardlytics_url)


def _stale() -> bool:
    # npm ci writes node_modules/.package-lock.json last: its absence means no complete install
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    if not installed.exists():
        return True
    lock = (NODE_DIR / name for name in ("package.json", "package-lock.json"))
    return any(path.stat().st_mtime > installed.stat().st_mtime for path in lock)


def _run(command: list[str], what: str, timeout_s: float, **env: str) -> None:
    try:
        done = subprocess.run(
            command,
            cwd=NODE_DIR,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as error:
        raise NodeReferenceError(f"{what} did not finish within {timeout_s:g} s") from error
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-2000:]
        raise NodeReferenceError(f"{what} failed ({done.returncode}) in {NODE_DIR}:\n{tail}")


def warmed(load: Load) -> Load:
    return replace(load, warmup_s=max(load.warmup_s, NODE_WARMUP_S))


def log_summary(path: Path) -> str:
    """What Hive Gateway logged after its start-up lines (at warn and above: its settings)."""
    text = _ANSI.sub("", path.read_text(errors="replace"))
    logged = [line for line in text.splitlines() if line.strip() and " INF " not in line]
    if not logged:
        return f"{NAME} log: nothing at warn or above."
    # an entry spans lines: its level and time on the first, "message: ..." below
    example = next((line.strip() for line in logged if "message:" in line), logged[0])
    return f"{NAME} log: {len(logged)} lines at warn or above, e.g. {example[:120]}"


@contextmanager
def serve(work: Path) -> Iterator[Process]:
    """Hive Gateway on a free port, pinned like our gateway (gateway.config.ts: one process)."""
    node = shutil.which("node")
    if node is None:
        raise NodeReferenceError("--node-reference needs node on PATH")
    port = free_port()
    args = ["node_modules/@graphql-hive/gateway/dist/bin.js", "supergraph"]
    args += ["--host", "127.0.0.1", "--port", str(port)]
    with start(
        NAME,
        args,
        port=port,
        cpu=CPU_SERVER,
        log_dir=work,
        ready_path="/readiness",
        program=[node],
        cwd=NODE_DIR,
        env={"NODE_ENV": "production"},
    ) as process:
        yield process


def home_bodies(fixture: Fixture, settings: Settings, sandbox_url: str) -> list[dict[str, Any]]:
    """The home request of each customer the home operation serves, with a session started
    here (directly at the sandbox, before any timed window) in its headers."""
    body = orjson.dumps({"query": HOME_DOCUMENT.read_text()}).decode()
    bodies = []
    with httpx.Client(base_url=f"{sandbox_url}/cardlytics") as client:
        for customer in fixture.customers:
            if customer.home_offers < HOME_OFFERS:
                continue  # as bench.operations._home
            token = start_session(client, customer.source_id, settings)
            headers = {
                "x-source-customer-id": customer.source_id,
                "Authorization": f"Bearer {token}",
            }
            bodies.append({"headers": headers, "body": body})
    return bodies
