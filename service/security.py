"""ASGI guards in front of every route: access token, request body limits, host and origin checks.

- Token: when `Settings.token` is set (required for any bind other than loopback), every HTTP request and
  WebSocket needs ``Authorization: Bearer <token>`` or the ``liftmind_token`` cookie. A browser opens
  ``/?token=...`` once: the answer sets the cookie (HttpOnly, SameSite=Strict) and redirects to the same URL
  without the token, so it never stays in the address bar or history. The token is never logged.
- Body limits: a declared ``Content-Length`` over the limit is refused at once (413); a chunked body is
  read here, counted, and refused when it passes the limit.
- Without a token (loopback only), the Host header must name a loopback host (DNS-rebinding defence), and a
  state-changing request or WebSocket that carries an Origin header must come from the same host (CSRF and
  cross-site WebSocket defence).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from service.settings import LOOPBACK_HOSTS, Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "liftmind_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


async def send_json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


class Guard:
    """One middleware for the token, host/origin and body-size rules (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await self._refuse(scope, send, *refusal)
            return
        if scope["type"] == "http" and self.settings.token and self._token_in_query(scope):
            await self._set_cookie_and_redirect(scope, send)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._with_limit(scope, receive, send, headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        token = self.settings.token
        if token:
            if not (self._token_ok(headers) or self._token_in_query(scope)):
                return 401, "this server needs an access token: send 'Authorization: Bearer <token>'"
            return None
        host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
        if host not in (*LOOPBACK_HOSTS, "testserver"):
            return 421, f"host {host!r} is not served here; use http://127.0.0.1"
        origin = headers.get("origin")
        writes = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
        if origin and writes and urlsplit(origin).netloc != headers.get("host"):
            return 403, "cross-origin requests may not change data"
        return None

    def _token_ok(self, headers: dict[str, str]) -> bool:
        expected = (self.settings.token or "").encode()
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and hmac.compare_digest(auth[7:].strip().encode(), expected):
            return True
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed cookie header is just no cookie
            return False
        return COOKIE in cookie and hmac.compare_digest(cookie[COOKIE].value.encode(), expected)

    def _token_in_query(self, scope: Scope) -> bool:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return "token" in query and hmac.compare_digest(query["token"].encode(), (self.settings.token or "").encode())

    async def _set_cookie_and_redirect(self, scope: Scope, send: Send) -> None:
        query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k != "token"]
        location = scope["path"] + (f"?{urlencode(query)}" if query else "")
        cookie = f"{COOKIE}={self.settings.token}; Path=/; HttpOnly; SameSite=Strict"
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, scope: Scope, send: Send, status: int, detail: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        await send_json(send, status, detail)

    def limit_for(self, path: str) -> int:
        if path.startswith("/api/ingest/"):
            return self.settings.max_batch_bytes
        return self.settings.max_json_bytes if path.startswith("/api/") else self.settings.max_form_bytes

    async def _with_limit(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        limit = self.limit_for(scope["path"])
        declared = headers.get("content-length", "")
        if declared.isdigit():
            if int(declared) > limit:
                await send_json(send, 413, f"request body of {declared} bytes is over the {limit}-byte limit")
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read the body here, up to the limit, then hand it on.
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            more = bool(message.get("more_body", False))
            if seen > limit:
                await send_json(send, 413, f"request body is over the {limit}-byte limit")
                return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
