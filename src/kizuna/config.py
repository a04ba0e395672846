"""Settings, read from the environment (prefix ``KIZUNA_``, nested with ``__``).

Built by entrypoints only (app factory, CLI, job runner), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    """Everything the running system can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="KIZUNA_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/kizuna.db"
    data_dir: Path = Path("var")
    secret_key: str = DEV_SECRET
    default_locale: Literal["ja", "en"] = "ja"
    default_timezone: str = "Asia/Tokyo"
    default_currency: str = "JPY"
    session_days: int = Field(default=14, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    cookie_secure: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    log_json: bool = False
    # The web process runs a job worker thread, so `make run` needs nothing else. Production
    # runs `kizuna worker` processes instead and sets KIZUNA_EMBEDDED_WORKER=false.
    embedded_worker: bool = True
    # Event ingestion (/v1/*, Segment-compatible). Rates are per server process: events per
    # second per write key (bursts of two seconds' worth), and the inbox backlog (events
    # accepted but not yet moved to the event store) above which senders get 429.
    ingest_rate_per_key: int = Field(default=50_000, ge=1)
    ingest_max_backlog: int = Field(default=5_000_000, ge=1)
    # How long a process trusts its cached write-key lookup (disable/rotate take effect
    # at once in the process that made the change, within this many seconds elsewhere).
    ingest_key_cache_seconds: float = Field(default=5.0, ge=0)

    # Usage metrics: the analytics engine ("duckdb" embedded, or "pyspark" with the spark
    # extra and Java) and, for Spark, the master URL (local[*] or spark://host:7077).
    analytics_engine: Literal["duckdb", "pyspark"] = "duckdb"
    spark_master: str = "local[*]"

    # Notifications (playbooks' "email the owner" and "Slack" actions, sent by jobs).
    # Unset smtp_host / slack_webhook_url: those actions are recorded as not sent.
    # Secrets come from the environment (KIZUNA_SMTP_PASSWORD), never from git.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = "kizuna@localhost"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    slack_webhook_url: str = ""
    # The address people use to reach this Kizuna (links in e-mails and Slack messages).
    public_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _refuse_example_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "KIZUNA_SECRET_KEY must be set to a random value in production "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
