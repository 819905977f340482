"""Settings: read once from the environment and passed to whoever needs them."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogFormat = Literal["json", "text"]
PerfectStoreComponent = Literal["msl", "facings", "display", "price_tag"]


def normalise_dsn(url: str) -> str:
    """Make any PostgreSQL URL use the psycopg 3 driver.

    Managed databases hand out ``postgres://`` or ``postgresql://`` URLs; SQLAlchemy needs the
    driver spelled out, and we only ship psycopg 3.
    """
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Every setting of the service, with its environment variable in the README table."""

    model_config = SettingsConfigDict(env_prefix="FIELDSALES_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "FIELDSALES_DATABASE_URL"),
        description="PostgreSQL + PostGIS URL; unset means the embedded cluster in data_dir.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Embedded cluster, photos, keys.")
    db_port: int = Field(default=54329, description="Port of the embedded PostgreSQL cluster.")
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str | None = Field(
        default=None,
        min_length=32,
        description="Signs tokens. Unset: a key generated once and kept in data_dir/secret_key.",
    )
    access_token_minutes: int = 30
    refresh_token_days: int = 30
    photo_store: str = Field(
        default="", description="Folder path or s3://bucket/prefix; unset: data_dir/photos."
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible store (MinIO, R2); unset: AWS."
    )
    s3_region: str | None = Field(default=None, description="Region of the S3 bucket.")
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, gt=0, description="Largest photo or image upload accepted."
    )
    geofence_radius_m: float = Field(
        default=150.0, gt=0, description="A check-in this close to the outlet is inside."
    )
    poor_gps_accuracy_m: float = Field(
        default=100.0, gt=0, description="Reported GPS accuracy worse than this is flagged."
    )
    max_clock_skew_s: float = Field(
        default=300.0, gt=0, description="Device clock further off the server's is flagged."
    )
    max_travel_kmh: float = Field(
        default=150.0, gt=0, description="Faster travel between check-ins is implausible."
    )
    visit_every_days: dict[str, int] = Field(
        default={"A": 7, "B": 14, "C": 28},
        description="Journey plan: days between visits by outlet class (JSON object).",
    )
    route_max_stops: int = Field(default=20, gt=0, description="Most outlets planned per day.")
    timezone: str = Field(default="UTC", description="The field force's local time zone (IANA).")
    detector: Path | None = Field(
        default=None,
        description="An ONNX shelf detector (YOLOv8 layout) to use instead of the shipped one.",
    )
    presence_window_days: int = Field(
        default=30, gt=0, description="How old the newest evidence of an SKU on a shelf may be."
    )
    alert_share_drop_pp: float = Field(
        default=5.0, gt=0, description="Alert when a brand's weekly share falls this much."
    )
    alert_oos_visits: int = Field(
        default=2, ge=2, description="Alert when an SKU is absent on this many visits running."
    )
    alert_coverage_drop_pp: float = Field(
        default=5.0, gt=0, description="Alert when a territory's 28-day coverage falls this much."
    )
    alert_far_checkins: int = Field(
        default=3,
        ge=1,
        description="Alert when a rep checks in outside the geofence this often a week.",
    )
    # Perfect-store score: the weight of each compliance component (one left out weighs 0).
    perfect_store_weights: dict[PerfectStoreComponent, Annotated[float, Field(ge=0)]] = Field(
        default={"msl": 0.4, "facings": 0.3, "display": 0.15, "price_tag": 0.15},
        description="Weights of MSL presence, facings met, display and price tag (JSON object).",
    )
    # Queue workers: heartbeats, stalled-job recovery and periodic jobs.
    worker_heartbeat_s: float = Field(
        default=10.0, gt=0, description="How often a worker tells the queue it is alive."
    )
    worker_stalled_after_s: float = Field(
        default=30.0, gt=0, description="A worker silent this long is gone; its jobs are retried."
    )
    stalled_jobs_cron: str = Field(
        default="* * * * *", description="When to look for stalled jobs (cron; 6th field: s)."
    )
    rollups_cron: str = Field(
        default="*/5 * * * *",
        description="When to refresh the shelf-share and planning rollups (cron).",
    )
    # Sign-in throttling: attempts per client address and username (``limits`` notation).
    sign_in_rate_limit: str = Field(
        default="10/minute;100/hour", description="Sign-in attempts allowed per address and user."
    )
    sign_in_limit_storage: str = Field(
        default="memory://",
        description="Where attempts are counted: this process, or a shared redis:// store.",
    )
    log_level: str = "INFO"
    log_format: LogFormat = "json"
    demo_data: bool = Field(default=True, description="Load the demo market on first start.")

    @field_validator("database_url")
    @classmethod
    def _normalise(cls, value: str | None) -> str | None:
        return normalise_dsn(value) if value else None

    @field_validator("perfect_store_weights")
    @classmethod
    def _some_weight(cls, value: dict[str, float]) -> dict[str, float]:
        if sum(value.values()) <= 0:
            raise ValueError("at least one perfect-store weight must be above 0")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name") from exc
        return value

    @property
    def embedded(self) -> bool:
        """True when the service owns its own PostgreSQL cluster."""
        return self.database_url is None

    @property
    def cluster_dir(self) -> Path:
        return self.data_dir.resolve() / "postgres"

    @property
    def db_password_file(self) -> Path:
        return self.data_dir.resolve() / "db-password"

    def dsn(self) -> str:
        """The database URL every process uses: the configured one or the embedded cluster's."""
        if self.database_url:
            return self.database_url
        password = self.db_password_file.read_text().strip()
        return f"postgresql+psycopg://fieldsales:{password}@127.0.0.1:{self.db_port}/fieldsales"

    def libpq_dsn(self) -> str:
        """The same URL for libpq clients (psycopg, procrastinate), without the driver suffix."""
        return self.dsn().replace("postgresql+psycopg://", "postgresql://", 1)

    @cached_property
    def signing_key(self) -> str:
        """The token signing key; generated and kept in the data folder when not configured."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir.resolve() / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write aside, then link: when two processes race, both end up with the first key.
            draft = path.with_name(f".secret_key.{os.getpid()}")
            draft.write_text(secrets.token_urlsafe(48))
            draft.chmod(0o600)
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
            draft.unlink()
        return path.read_text().strip()

    @property
    def photo_store_url(self) -> str:
        return self.photo_store or str(self.data_dir.resolve() / "photos")
