"""Settings: every knob comes from a `WATCHKEEP_*` environment variable.

The embedded default needs none of them: data lives in `./data`, SQLite is the
database, and a secret key is generated there on first start. The folder is made
0700: with the key beside the database, a copy of it decrypts the stored secrets
(keep the key elsewhere with WATCHKEEP_SECRET_KEY).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WATCHKEEP_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8080"

    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1024 * 1024

    run_worker: bool = True
    worker_threads: int = 8
    worker_batch: int = 50
    worker_poll_seconds: float = 0.5
    worker_lease_seconds: float = 60.0
    worker_max_attempts: int = 25

    # Alerts each integration may send per minute unless it sets its own limit.
    ingest_rate_per_minute: int = Field(default=6000, ge=1)

    slack_api_url: str = "https://slack.com/api/"
    # Where "Add Workspace" sends the admin to approve the install (a fake Slack in tests).
    slack_oauth_url: str = "https://slack.com/oauth/v2/authorize"
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_timeout_seconds: float = 10.0
    # An app-level token (xapp-…): Slack's requests then arrive over Socket Mode.
    slack_app_token: str | None = None
    # Whether `serve` may hold the Socket Mode connection, and how often it checks the
    # token and its lock (another replica takes over within about this long).
    run_socket_mode: bool = True
    socket_mode_poll_seconds: float = Field(default=5.0, gt=0)

    # Operations: log lines as plain text or JSON; who may read /metrics besides admins'
    # API tokens; how recent a worker's heartbeat must be for /readyz (0: not asked).
    log_format: Literal["plain", "json"] = "plain"
    metrics_token: str | None = None
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    ready_worker_seconds: float = Field(default=60.0, ge=0)
    # `watchkeep worker` has no web server: its counters, when asked, on a port of their own.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    # `serve` starts the built-in fake Slack, connects it and draws it at /sandbox
    # (always so with `serve --demo`): a local trial with no Slack workspace.
    sandbox: bool = False

    # At least the web thread pool (40) plus the worker's threads, so connections are kept.
    db_pool_size: int = Field(default=50, ge=1)

    @property
    def embedded(self) -> bool:
        """True when the database is the embedded SQLite default."""
        return self.database_url is None

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self._private_data_dir()
        return f"sqlite:///{(self.data_dir / 'watchkeep.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        self._private_data_dir()
        if stat.S_IMODE(self.data_dir.stat().st_mode) & 0o077:
            log.warning(
                "the data folder %s is open to other users, and with the key in it a copy "
                "decrypts the stored secrets: chmod 700 it, or set WATCHKEEP_SECRET_KEY",
                self.data_dir,
            )
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(32)
        # O_EXCL: two processes starting at once must agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key

    def _private_data_dir(self) -> None:
        """Make the data folder one only its owner may enter."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def public_url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path
