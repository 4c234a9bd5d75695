"""Service settings, passed explicitly to ``create_app`` (no module-level state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable that holds the access token when ``--token`` is not given.
TOKEN_ENV = "LIFTMIND_TOKEN"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Settings:
    db_path: Path
    host: str = "127.0.0.1"
    port: int = 8000
    #: Access token required on every request (``Authorization: Bearer``, or the cookie it sets); None = open.
    token: str | None = field(default=None, repr=False)
    #: Largest request body, in bytes: JSON API (an HRV reading of 20,000 beats fits), remote-ingest batches,
    #: and HTML form posts (RR file uploads).
    max_json_bytes: int = 512 * 1024
    max_batch_bytes: int = 4 * 1024 * 1024
    max_form_bytes: int = 2 * 1024 * 1024
    #: Run the streaming rep counter on remotely ingested accelerometer batches (live events).
    live_remote: bool = True

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
