"""Security headers on every response, and a request log without personal data.

The pages use no script at all, so the Content Security Policy allows none;
styles come only from our own /static. HSTS is sent only over HTTPS. The
request log names method, path and status, never the query string (a search
may hold a requester's name or address).
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeadersMiddleware:
    """Pure ASGI middleware (no body buffering) that adds the headers above."""

    def __init__(self, app: ASGIApp, always_https: bool = False) -> None:
        self.app = app
        self.always_https = always_https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        https = self.always_https or scope.get("scheme") == "https"
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [item for item in HEADERS if item[0] not in present]
                if https:
                    headers.append(HSTS)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "%s %s %s %.0fms",
                scope.get("method"),
                loggable_path(scope.get("path", "")),
                status,
                (time.monotonic() - started) * 1000,
            )


def loggable_path(path: str) -> str:
    """The request path for the log, with verification-link tokens blanked out."""
    if path.startswith("/verify/"):
        return "/verify/-"
    return path
