"""Gateway replicas as real processes (``python -m gateway.cli serve``), and a PostgreSQL
database for them to share. PostgreSQL, like Redis, must be there in CI (``CI=true``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.servers import free_port

__all__ = ["Replica", "fresh_postgres_database", "replica_process"]

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Replica:
    url: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _admin(statement: str) -> None:
    # CREATE / DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database; dropped afterwards."""
    name = f"rg_replicas_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, SQLAlchemyError) as error:
        message = f"PostgreSQL is not usable at {POSTGRES_URL} (.ci/run starts it): {error}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def replica_process(environment: dict[str, str]) -> Iterator[Replica]:
    """One gateway process on a free port with ``environment`` (``GATEWAY_*``), until the block
    ends; its output goes to a log file, shown when it fails to start."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GATEWAY_")}
    env.update(environment)
    env.update({"GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port)})
    log = Path(tempfile.mkdtemp(prefix="rg-replica-")) / "gateway.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    replica = Replica(f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_healthy(process, replica)
        yield replica
    finally:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)


def _wait_until_healthy(process: subprocess.Popen[bytes], replica: Replica) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}:\n{replica.log_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{replica.url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gateway did not start in {START_TIMEOUT_S} s:\n{replica.log_text()}")
