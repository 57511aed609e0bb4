"""ASGI guards for the web map: body-size limits, allowed hosts and origins, security headers.

Pure ASGI middleware (no per-request objects): it runs before FastAPI reads a byte of the
body, so an oversized upload is refused on its ``Content-Length`` or, when streamed without
one, as soon as the running total passes the limit.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["CSP", "BodyTooLarge", "GuardMiddleware", "parse_host", "parse_origin"]

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


_HOST = re.compile(r"^(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?))"
                   r"(?::(?P<port>[0-9]{1,5}))?$")
#: Methods that change no state (everything else needs the write check).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_COOKIE = "chokepoint_token"


def parse_host(value: str) -> str | None:
    """The host name of a ``Host`` header value (lower case, IPv6 without brackets), or None
    when it is not a valid ``host[:port]`` (``[::1]evil.example`` is not)."""
    m = _HOST.match(value.strip().lower())
    if m is None:
        return None
    if m.group("v6") is not None:
        try:
            ipaddress.IPv6Address(m.group("v6"))
        except ValueError:
            return None
        return m.group("v6")
    port = m.group("port")
    if port is not None and not 0 < int(port) < 65536:
        return None
    return m.group("name")


def parse_origin(value: str) -> str | None:
    """The host name of an ``Origin`` header (``scheme://host[:port]``), or None for
    ``null``, other schemes and anything malformed: all of them are foreign."""
    scheme, sep, rest = value.strip().lower().partition("://")
    if not sep or scheme not in ("http", "https") or "/" in rest or "@" in rest:
        return None
    return parse_host(rest)


class GuardMiddleware:
    """Limits request bodies, checks ``Host`` and ``Origin``, guards writes, adds headers.

    Parameters
    ----------
    app
        The ASGI app to wrap.
    max_body
        Limit for every request body except the upload paths (bytes).
    max_upload
        Limit for the ``upload_paths``.
    allowed_hosts
        Host names (without port) accepted in ``Host`` and ``Origin``; ``"*"`` accepts any
        well-formed name (a public bind). Checking them stops DNS-rebinding pages from
        reaching a server bound to loopback.
    write_hosts
        Host names whose requests may change state (POST...) without a token; None: the
        ``allowed_hosts`` (unless they are ``"*"``, which never authorises a write).
    token
        A secret that authorises state-changing requests from any host: header
        ``X-Chokepoint-Token``, ``Authorization: Bearer``, or the cookie set by opening any
        page with ``?token=SECRET``.
    query_paths
        Paths whose POSTs only ask a question (a closure) and change no state; every other
        non-GET request is state-changing.

    Every request with an ``Origin`` must come from an allowed host (or, with ``"*"``, from
    the host it is addressed to); ``Origin: null`` (sandboxed frames, ``file:`` pages) and
    anything malformed are foreign.
    """

    def __init__(self, app: ASGIApp, *, max_body: int, max_upload: int,
                 upload_paths: Iterable[str], allowed_hosts: Iterable[str],
                 write_hosts: Iterable[str] | None = None, token: str | None = None,
                 query_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload
        self.upload_paths = set(upload_paths)
        self.hosts = {h.strip("[]").lower() for h in allowed_hosts}
        writes = self.hosts if write_hosts is None else {
            h.strip("[]").lower() for h in write_hosts}
        self.write_hosts = writes - {"*"}
        self.token = token or None
        self.query_paths = set(query_paths)

    def _host_ok(self, host: str | None) -> bool:
        return host is not None and ("*" in self.hosts or host in self.hosts)

    def _token_given(self, headers: dict[str, str]) -> bool:
        if self.token is None:
            return False
        given = headers.get("x-chokepoint-token") or ""
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = given or auth[7:].strip()
        if not given:
            for part in headers.get("cookie", "").split(";"):
                k, _, v = part.strip().partition("=")
                if k == TOKEN_COOKIE:
                    given = v
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = parse_host(headers.get("host", ""))
        if not self._host_ok(host):
            return 400, "host not allowed"
        origin = headers.get("origin")
        if origin is not None:
            o = parse_origin(origin)
            same = o is not None and o == host
            if o is None or not (o in self.hosts or ("*" in self.hosts and same)):
                return 403, "cross-origin request refused"
        writes = scope.get("method", "GET") not in SAFE_METHODS and \
            scope.get("path") not in self.query_paths
        if writes and host not in self.write_hosts and not self._token_given(headers):
            return 403, ("state-changing requests to this server need a token (header "
                         "X-Chokepoint-Token) or a host it was told to allow (--allow-host)")
        return None

    def _token_cookie(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        if self.token is None:
            return []
        query = scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            k, _, v = part.partition("=")
            if k == "token" and hmac.compare_digest(v.encode(), self.token.encode()):
                return [(b"set-cookie", f"{TOKEN_COOKIE}={self.token}; HttpOnly; "
                                        "SameSite=Strict; Path=/".encode())]
        return []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        refused = self._refusal(scope, headers)
        if refused is not None:
            await _send_json(send, *refused)
            return
        limit = self.max_upload if scope.get("path") in self.upload_paths else self.max_body
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _send_json(send, 413, f"request body larger than the limit of {limit:,} "
                                        "bytes")
            return
        seen = 0
        cookie = self._token_cookie(scope)

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
                msg["headers"] = [*msg.get("headers", []), *cookie,
                                  *[(k, v) for k, v in HEADERS if k not in have]]
            await send(msg)

        await self.app(scope, limited_receive, send_with_headers)
