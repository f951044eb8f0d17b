"""Simulator of the Cardlytics Rewards Platform and CSA tickets APIs (seeds 000, 001).

``create_app(settings)`` builds the app the sandbox mounts at ``/cardlytics``.
"""

from __future__ import annotations

from gateway.sandbox.cardlytics.app import create_app

__all__ = ["create_app"]
