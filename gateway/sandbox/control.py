"""What both simulators share: fault injection, call accounting and their control endpoints.

Each simulator app wraps itself in ``SandboxMiddleware`` and includes ``control_router``. Rules are
matched against ``"METHOD /path"`` (the path inside the simulator, fnmatch patterns allowed), so a
test can say ``{"match": "POST /v2/ads/getAds", "error_status": 503, "times": 1}``.

Control endpoints (under each simulator's root):
- ``GET /_sandbox/stats``: calls counted per route template; ``DELETE`` resets them.
- ``PUT /_sandbox/faults``: replace the fault rules; ``GET`` lists them; ``DELETE`` clears them.
- ``POST /_sandbox/reset``: clear faults, stats and the simulator's own state.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import random
import re
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "CONTROL_PREFIX",
    "ErrorBody",
    "FaultRule",
    "SandboxControl",
    "SandboxMiddleware",
    "control_router",
    "install",
]

CONTROL_PREFIX = "/_sandbox"

# (status) -> (content type, body) of an injected error, in the simulator's documented error form.
ErrorBody = Callable[[int], tuple[str, bytes]]


class FaultRule(BaseModel):
    """One injected fault. Every effect is optional; they combine in the order listed."""

    match: str = Field(description='"METHOD /path" pattern, e.g. "GET /tickets/*" or "*"')
    latency_ms: float = Field(default=0, ge=0)
    hang_s: float = Field(default=0, ge=0, description="sleep this long before answering")
    error_status: int | None = Field(default=None, ge=400, le=599)
    error_rate: float = Field(default=1.0, ge=0, le=1)
    malformed: bool = Field(default=False, description="answer 200 with a truncated body")
    times: int | None = Field(default=None, ge=1, description="apply to the next N matches")

    def matches(self, key: str) -> bool:
        return fnmatch.fnmatchcase(key, self.match)


class SandboxControl:
    """Fault rules, call counts and the reset hooks of one simulator."""

    def __init__(self, *, seed: int = 0, error_body: ErrorBody | None = None) -> None:
        self.rules: list[FaultRule] = []
        self.calls: Counter[str] = Counter()
        self.error_body: ErrorBody = error_body or _plain_error
        self._random = random.Random(seed)
        self._reset_hooks: list[Callable[[], Awaitable[None] | None]] = []

    def on_reset(self, hook: Callable[[], Awaitable[None] | None]) -> None:
        self._reset_hooks.append(hook)

    def set_rules(self, rules: list[FaultRule]) -> None:
        self.rules = list(rules)

    def load_rules_json(self, text: str) -> None:
        self.set_rules([FaultRule.model_validate(item) for item in json.loads(text or "[]")])

    async def reset(self) -> None:
        self.rules.clear()
        self.calls.clear()
        for hook in self._reset_hooks:
            result = hook()
            if result is not None:
                await result

    def take_rule(self, key: str) -> FaultRule | None:
        """The first rule matching ``key``, counting down its ``times``."""
        for rule in self.rules:
            if not rule.matches(key):
                continue
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.rules.remove(rule)
            return rule
        return None

    def roll(self, rate: float) -> bool:
        return rate >= 1 or self._random.random() < rate


def _plain_error(status: int) -> tuple[str, bytes]:
    return "text/plain", f"Injected fault {status}".encode()


class SandboxMiddleware:
    """Counts every call by route template and applies the matching fault rule."""

    def __init__(self, app: ASGIApp, control: SandboxControl) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(
            scope.get("root_path", "") + CONTROL_PREFIX
        ):
            await self.app(scope, receive, send)
            return
        path = scope["path"][len(scope.get("root_path", "")) :] or "/"
        # Counted on arrival, under the route's template, so a call that an injected fault
        # answers or that hangs is counted the same way, and at once, as one that is served.
        self.control.calls[f"{scope['method']} {_template(scope, path)}"] += 1
        rule = self.control.take_rule(f"{scope['method']} {path}")
        await self._apply(rule, scope, receive, send)

    async def _apply(
        self, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if rule is None:
            await self.app(scope, receive, send)
            return
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.hang_s:
            await asyncio.sleep(rule.hang_s)
        if rule.error_status is not None and self.control.roll(rule.error_rate):
            content_type, body = self.control.error_body(rule.error_status)
            await _respond(send, rule.error_status, content_type, body)
            return
        if rule.malformed:
            await self.app(scope, receive, _truncating(send))
            return
        await self.app(scope, receive, send)


def _template(scope: Scope, path: str) -> str:
    """The route template a path falls under, e.g. ``/tickets/{ticket_id}``, else the path."""
    app = scope.get("app")
    if not isinstance(app, FastAPI):
        return path
    templates: list[tuple[re.Pattern[str], set[str], str]] | None = getattr(
        app.state, "sandbox_templates", None
    )
    if templates is None:
        templates = app.state.sandbox_templates = _route_templates(app)
    for pattern, methods, template in templates:
        if scope["method"].lower() in methods and pattern.fullmatch(path):
            return template
    return path


def _route_templates(app: FastAPI) -> list[tuple[re.Pattern[str], set[str], str]]:
    # The OpenAPI document is the public, flattened view of every included router's routes, in
    # declaration order (the order routing tries them in).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate operation ids say nothing about paths
        paths: dict[str, dict[str, object]] = app.openapi().get("paths", {})
    return [(compile_path(template)[0], set(ops), template) for template, ops in paths.items()]


def _truncating(send: Send) -> Send:
    """Passes the response through as a 200 whose body is cut in half (no longer valid JSON/XML)."""
    body = bytearray()
    start: dict[str, Any] = {}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body"):
            return
        cut = bytes(body[: max(1, len(body) // 2)]) if body else b'{"'
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": cut})

    return wrapped


async def _respond(send: Send, status: int, content_type: str, body: bytes) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _control(request: Request) -> SandboxControl:
    control: SandboxControl = request.app.state.sandbox_control
    return control


control_router = APIRouter(prefix=CONTROL_PREFIX, tags=["sandbox control"])


@control_router.get("/stats")
async def get_stats(request: Request) -> dict[str, dict[str, int]]:
    return {"calls": dict(_control(request).calls)}


@control_router.delete("/stats", status_code=204)
async def reset_stats(request: Request) -> None:
    _control(request).calls.clear()


@control_router.get("/faults")
async def get_faults(request: Request) -> list[FaultRule]:
    return _control(request).rules


@control_router.put("/faults")
async def put_faults(request: Request, rules: list[FaultRule]) -> list[FaultRule]:
    _control(request).set_rules(rules)
    return rules


@control_router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> None:
    _control(request).set_rules([])


@control_router.post("/reset", status_code=204)
async def reset_all(request: Request) -> None:
    await _control(request).reset()


def install(app: FastAPI, control: SandboxControl) -> None:
    """Give a simulator app the shared fault injection, call accounting and control endpoints."""
    app.state.sandbox_control = control
    app.add_middleware(SandboxMiddleware, control=control)
    app.include_router(control_router)
