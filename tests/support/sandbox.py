"""A handle on a running sandbox: its URLs and its control endpoints, reached over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import httpx

Simulator = Literal["cardlytics", "clickbank"]


@dataclass(frozen=True)
class Sandbox:
    url: str

    @property
    def cardlytics_url(self) -> str:
        return f"{self.url}/cardlytics"

    @property
    def clickbank_url(self) -> str:
        """Base URL of the tickets API, as a client configures it (``.../rest/1.3``)."""
        return f"{self.url}/clickbank/rest/1.3"

    def _control(self, sim: Simulator) -> str:
        return f"{self.url}/{sim}/_sandbox"

    def reset(self) -> None:
        for sim in ("cardlytics", "clickbank"):
            httpx.post(f"{self._control(sim)}/reset").raise_for_status()

    def faults(self, sim: Simulator, *rules: dict[str, Any]) -> None:
        httpx.put(f"{self._control(sim)}/faults", json=list(rules)).raise_for_status()

    def calls(self, sim: Simulator) -> dict[str, int]:
        response = httpx.get(f"{self._control(sim)}/stats")
        response.raise_for_status()
        calls: dict[str, int] = response.json()["calls"]
        return calls

    def reset_calls(self, sim: Simulator) -> None:
        httpx.delete(f"{self._control(sim)}/stats").raise_for_status()
