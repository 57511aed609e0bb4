"""ASGI guards for the web map: body-size limits, allowed hosts and origins, security headers.

Pure ASGI middleware (no per-request objects): it runs before FastAPI reads a byte of the
body, so an oversized upload is refused on its ``Content-Length`` or, when streamed without
one, as soon as the running total passes the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["CSP", "BodyTooLarge", "GuardMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Everything from this server, nothing from anywhere else.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
HEADERS = [(b"content-security-policy", CSP.encode()),
           (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"),
           (b"x-frame-options", b"DENY"),
           (b"cross-origin-resource-policy", b"same-origin")]


class BodyTooLarge(HTTPException):
    """The request body passed its limit (413); FastAPI passes HTTPExceptions through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than the limit of {limit:,} bytes")


async def _send_json(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})


def _host_only(value: str) -> str:
    v = value.strip().lower()
    if v.startswith("["):  # [::1]:8000
        return v[1:v.index("]")] if "]" in v else v
    return v.rsplit(":", 1)[0] if v.count(":") == 1 else v


class GuardMiddleware:
    """Limits request bodies, checks ``Host`` and ``Origin``, adds security headers.

    Parameters
    ----------
    app
        The ASGI app to wrap.
    max_body
        Limit for every request body except the upload paths (bytes).
    max_upload
        Limit for the ``upload_paths``.
    allowed_hosts
        Host names (without port) accepted in ``Host`` and ``Origin``; ``"*"`` accepts all.
        Checking them stops DNS-rebinding pages from reaching a server bound to loopback.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 upload_paths: Iterable[str], allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = set(upload_paths)
        self.hosts = {h.lower() for h in allowed_hosts}

    def _host_ok(self, host: str) -> bool:
        return "*" in self.hosts or _host_only(host) in self.hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if not self._host_ok(headers.get("host", "")):
            await _send_json(send, 400, "host not allowed")
            return
        origin = headers.get("origin")
        if origin and origin != "null":
            netloc = origin.split("://", 1)[-1]
            if not self._host_ok(netloc):
                await _send_json(send, 403, "cross-origin request refused")
                return
        limit = self.max_upload if scope.get("path") in self.upload_paths else self.max_body
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_json(send, 413, f"request body larger than the limit of {limit:,} "
                                        "bytes")
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return msg

        async def send_with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                have = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = [*msg.get("headers", []),
                                  *[(k, v) for k, v in HEADERS if k not in have]]
            await send(msg)

        await self.app(scope, limited_receive, send_with_headers)
