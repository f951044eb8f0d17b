"""Latency, soak and cold start (filled in below)."""

from __future__ import annotations

from pathlib import Path

from bench.measure import Sandbox
from bench.operations import Fixture
from bench.processes import Process


def latency(
    gateway: Process, passthrough: Process, fixture: Fixture, sandbox: Sandbox
) -> list[str]:
    return []


def soak(gateway: Process, fixture: Fixture, sandbox: Sandbox, seconds: float) -> list[str]:
    return []


def cold_start(work: Path, fixture: Fixture) -> list[str]:
    return []
