"""The processes under measurement: started on 127.0.0.1 with free ports, pinned where possible,
and read through the OS's accounting (/proc) rather than anything they say about themselves."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = [
    "CPU_DRIVER",
    "CPU_SERVER",
    "Process",
    "free_port",
    "start",
    "taskset_prefix",
]

# Two cores: the process under load alone on one, everything else (sandbox, driver) on the other.
CPU_SERVER = 0
CPU_DRIVER = 1

_PR_SET_PDEATHSIG = 1
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def taskset_prefix(cpu: int) -> list[str]:
    """``taskset -c cpu`` when the machine has that core and the tool, else nothing."""
    if shutil.which("taskset") is None or (os.cpu_count() or 1) <= max(CPU_SERVER, CPU_DRIVER):
        return []
    return ["taskset", "-c", str(cpu)]


@dataclass
class Process:
    """A started server: its URL, its pid and what the OS says it has used."""

    name: str
    url: str
    popen: subprocess.Popen[bytes]
    started_at: float  # time.perf_counter() just before the spawn
    ready_after_s: float = 0.0

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_s(self) -> float:
        """User plus system CPU time so far (all threads), from /proc/<pid>/stat."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        # the command name may hold spaces: fields are counted after its closing parenthesis
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_S

    def rss_mb(self) -> float:
        pages = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1])
        return pages * _PAGE_KB / 1024

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@contextmanager
def start(
    name: str,
    args: Sequence[str],
    *,
    port: int,
    cpu: int | None,
    env: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
    log_dir: Path | None = None,
    under: Sequence[str] = (),
    ready_timeout_s: float = 60,
    program: Sequence[str] = (sys.executable, "-m"),
    cwd: Path | None = None,
) -> Iterator[Process]:
    """Run ``python -m <args>`` until the block ends; yields once ``ready_path`` answers 200.
    ``under``: a command that runs it (valgrind, for ``bench.instructions``); ``program``: what
    runs ``args`` instead of ``python -m`` (``node``, for the Node reference). It must exec the
    server itself, not a child: the CPU read is the started process's."""
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="rg-bench-"))
    log = (log_dir / f"{name}.log").open("wb")
    pinning = taskset_prefix(cpu) if cpu is not None else []
    command = [*pinning, *under, *program, *args]
    started_at = time.perf_counter()
    popen = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=cwd,
        # preexec_fn is safe here: servers are started while the bench runs no other thread
        preexec_fn=_die_with_parent,
    )
    process = Process(name, f"http://127.0.0.1:{port}", popen, started_at)
    try:
        process.ready_after_s = _wait_ready(
            process, ready_path, log_dir / f"{name}.log", ready_timeout_s
        )
        yield process
    finally:
        process.stop()
        log.close()


def _die_with_parent() -> None:
    """Linux: SIGTERM this child when the bench dies (killed, or a test's timeout), so no
    server outlives it holding a port and memory."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_ready(process: Process, path: str, log_path: Path, timeout_s: float = 60) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{tail}")
        try:
            if httpx.get(process.url + path, timeout=1).status_code == 200:
                return time.perf_counter() - process.started_at
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{process.name} did not answer {path} within {timeout_s} s")
