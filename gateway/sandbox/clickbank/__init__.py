"""Simulator of the ClickBank tickets API, REST 1.3 (seed 002, upstreams.md Part A).

``create_app(settings)`` builds the app the sandbox mounts at ``/clickbank``; its routes are
``/rest/1.3/tickets/...``. See README.md in this package for keys, sample data and examples.
"""

from __future__ import annotations

from gateway.sandbox.clickbank.app import create_app

__all__ = ["create_app"]
