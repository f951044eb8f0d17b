"""A request body size limit, enforced before the app reads anything.

A body over the limit gets ``413`` with a GraphQL-shaped error (``extensions.code``
``REQUEST_TOO_LARGE`` and the request id), whether the client declared its size in
``Content-Length`` (refused without reading a byte) or streams it chunked (refused as soon as the
bytes read pass the limit; the rest is never read, and the server closes the connection).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.logs import current_request_id

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        # Buffer the body (at most max_bytes), so the app never sees a partial one and a refusal
        # can still be a clean 413: once the app has read part of a body it may already answer.
        chunks: list[bytes] = []
        read = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # http.disconnect: the client went away
                return
            chunk: bytes = message.get("body", b"")
            read += len(chunk)
            if read > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, send: Send) -> None:
        extensions: dict[str, str] = {"code": "REQUEST_TOO_LARGE"}
        if request_id := current_request_id():
            extensions["requestId"] = request_id
        error = {
            "message": f"Request body is larger than {self.max_bytes} bytes.",
            "extensions": extensions,
        }
        body = json.dumps({"data": None, "errors": [error]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    # The unread rest of the body makes the connection unusable for another request.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, what the server sends next (a disconnect) still reaches the app.
        return await receive()

    return replay
