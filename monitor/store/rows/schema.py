"""The tables, as typed SQLAlchemy models. Alembic migrations create them; nothing else does.

Only `monitor.store` imports this module: the rest of aistatus sees plain objects
(`ProbeResult`, `Target`, `ProviderInfo`, `Rollup`, `StatusChange`, `Incident`), never rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let later migrations drop or alter them by name on both dialects.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always gives back a timezone-aware UTC datetime.

    SQLite has no time zones, so the value is written as naive UTC and tagged on
    the way out; PostgreSQL's timestamptz is converted from the session's zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: aistatus stores timezone-aware UTC times only")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProviderRow(Base):
    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)  # order in the config file
    display_name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    simulated: Mapped[bool] = mapped_column(Boolean)
    # "set ANTHROPIC_API_KEY": names the variable, never holds its value.
    not_configured_reason: Mapped[str | None] = mapped_column(Text)


class TargetRow(Base):
    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # "provider/model"
    position: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(ForeignKey("providers.id"), index=True)
    model: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    group: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    simulated: Mapped[bool] = mapped_column(Boolean)
    interval_s: Mapped[float] = mapped_column(Float)
    price_input_per_mtok: Mapped[float] = mapped_column(Float)
    price_output_per_mtok: Mapped[float] = mapped_column(Float)


class ProbeResultRow(Base):
    """One column per `ProbeResult` field, same names.

    No foreign key to `targets`: results outlive a model's removal from the
    config, and a result must never be refused because the config changed.
    """

    __tablename__ = "probe_results"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # writes are idempotent on it
    target: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(32))
    failure_class: Mapped[str] = mapped_column(String(32))
    check: Mapped[str] = mapped_column(String(64))
    connect_ms: Mapped[float | None] = mapped_column(Float)
    ttfb_ms: Mapped[float | None] = mapped_column(Float)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    total_ms: Mapped[float | None] = mapped_column(Float)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    tokens_per_s: Mapped[float | None] = mapped_column(Float)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_type: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    retry_after_s: Mapped[float | None] = mapped_column(Float)
    ratelimit: Mapped[dict[str, Any]] = mapped_column(JSON)
    timeout: Mapped[str | None] = mapped_column(String(32))
    answer_correct: Mapped[bool | None] = mapped_column(Boolean)
    error_excerpt: Mapped[str | None] = mapped_column(Text)
    served_model: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_probe_results_target_started_at", "target", "started_at"),
        Index("ix_probe_results_started_at", "started_at"),
    )


class RollupRow(Base):
    """One `monitor.rollups.Rollup`: same column names as `Rollup.to_row()`.

    The primary key is the rollup key, ordered for the common read (one target,
    one resolution, a range of buckets, every region); the second index serves
    reads across all targets and retention.
    """

    __tablename__ = "rollups"

    target: Mapped[str] = mapped_column(String(255), primary_key=True)
    resolution: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    ok: Mapped[int] = mapped_column(Integer)
    infrastructure: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    configuration: Mapped[int] = mapped_column(Integer)
    vantage: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    ambiguous: Mapped[int] = mapped_column(Integer)
    probes: Mapped[int] = mapped_column(Integer)
    answers_checked: Mapped[int] = mapped_column(Integer)
    answers_correct: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(BigInteger)  # years of a chatty model's tokens
    forms_checked: Mapped[int] = mapped_column(Integer, server_default="0")  # FORM_CHECKS
    forms_correct: Mapped[int] = mapped_column(Integer, server_default="0")
    ttft_hist: Mapped[str] = mapped_column(Text)  # LatencyHistogram.encode()
    total_hist: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_rollups_resolution_bucket_start", "resolution", "bucket_start"),)


class StatusChangeRow(Base):
    """One `monitor.judging.status.StatusChange`: a model or provider entered `status` at `at`."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(255))  # a target id or a provider id
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)

    # The unique key also serves "the latest change of a subject".
    __table_args__ = (
        UniqueConstraint("subject", "at"),
        Index("ix_status_changes_at", "at"),
    )


class IncidentRow(Base):
    """One `monitor.judging.incidents.Incident`; its id is the public one, the engine's is ignored.

    `key_started_at` is `started_at` as first stored: with provider and cause, the
    natural key that finds the row again. `started_at` itself may move earlier
    (a model joins whose episode began first). `changed_at` is the time of the last
    engine event applied: older events are stale and change nothing. The
    `*_override` columns hold an operator's words and are never written by the engine.
    """

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(100))
    cause: Mapped[str] = mapped_column(String(32))
    key_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    public: Mapped[bool] = mapped_column(Boolean)
    impact: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    models: Mapped[list[str]] = mapped_column(JSON)
    active_models: Mapped[list[str]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    signals: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    monitoring_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(Text)
    title_override: Mapped[str | None] = mapped_column(Text)
    worst: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("provider", "cause", "key_started_at"),
        Index("ix_incidents_started_at", "started_at"),
    )


class IncidentUpdateRow(Base):
    """One `monitor.judging.incidents.Update`; `position` orders an incident's updates from 0."""

    __tablename__ = "incident_updates"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))  # sha256: bodies are too long to index
    body_override: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("incident_id", "at", "status", "body_hash"),
        Index("ix_incident_updates_at", "at"),
    )


class IncidentTargetRow(Base):
    """Which models an incident concerns, for "incidents of this model" reads."""

    __tablename__ = "incident_targets"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(255), primary_key=True)

    __table_args__ = (Index("ix_incident_targets_target", "target"),)


class LeaseRow(Base):
    """Who may run a singleton job (the status engine) until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProbePlanRow(Base):
    """One model the status engine wants probed more often, until when (monitor/plan.py)."""

    __tablename__ = "probe_plan"

    target: Mapped[str] = mapped_column(String(255), primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    interval_s: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(100))


class EngineSnapshotRow(Base):
    """One saved state of the status engine (monitor/judging/snapshot.py), in parts.

    Usable once `complete`: the parts are written in transactions of their own (a
    long one would hold SQLite's one writer lock while results wait) and the row is
    marked complete last."""

    __tablename__ = "engine_snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the minute it had judged
    format: Mapped[int] = mapped_column(Integer)
    code_version: Mapped[str] = mapped_column(String(64))
    settings_digest: Mapped[str] = mapped_column(String(64))
    targets_digest: Mapped[str] = mapped_column(String(64))
    targets: Mapped[list[str]] = mapped_column(JSON)  # the model ids it judged
    regions: Mapped[list[str]] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes before compression
    checksum: Mapped[str] = mapped_column(String(64))  # sha256 of those bytes
    complete: Mapped[bool] = mapped_column(Boolean)


class EngineSnapshotPartRow(Base):
    """A compressed slice of a snapshot's bytes; `seq` orders them."""

    __tablename__ = "engine_snapshot_parts"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("engine_snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class DataVersionRow(Base):
    """One row whose counter every write transaction bumps: the web's ETag."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class SubscriptionRow(Base):
    """Someone to tell: an email address or a webhook URL, for the site, providers or models.

    No secret is kept: a webhook's signing secret is derived from the operator's key
    (an environment variable) and `salt`, so a copy of the database signs nothing."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook | operator
    address: Mapped[str] = mapped_column(Text)  # an operator channel: its name
    address_hash: Mapped[str] = mapped_column(String(64))  # sha256 of kind and address
    providers: Mapped[list[str]] = mapped_column(JSON)  # both empty: the whole site
    models: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))  # pending|active|disabled|removed
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    permanent_failures: Mapped[int] = mapped_column(Integer)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Which events (monitor/store/rows/outbox.py EVENTS); None: a subscriber's, public
    # incidents and component changes. Only an operator channel ever hears operator-only
    # incidents, whatever this says.
    events: Mapped[list[str] | None] = mapped_column(JSON)
    # Until then its deliveries go through the slow lane's few slots (it timed out).
    slow_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("address_hash"),)


class OutboxRow(Base):
    """A notification to send, written in the transaction of the change that caused it.

    `event` holds the facts as they were then (the incident with its updates up to this
    one, or the component's old and new status); the deliverer formats them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200))  # stable: receivers de-duplicate
    kind: Mapped[str] = mapped_column(String(16))  # incident | component
    provider: Mapped[str] = mapped_column(String(100))
    models: Mapped[list[str]] = mapped_column(JSON)
    public: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    fanned_out: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (UniqueConstraint("event_id"), Index("ix_outbox_fanned_out", "fanned_out"))


class DeliveryRow(Base):
    """One outbox row to one subscription: its attempts, and when to try next."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    state: Mapped[str] = mapped_column(String(16))  # pending|sent|failed|gave_up
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("outbox_id", "subscription_id"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        # "an older pending delivery of the same subscriber?", asked of every due one
        Index(
            "ix_deliveries_subscription_id_state_outbox_id", "subscription_id", "state", "outbox_id"
        ),
    )


PROVIDERS = ProviderRow.__table__
TARGETS = TargetRow.__table__
PROBE_RESULTS = ProbeResultRow.__table__
ROLLUPS = RollupRow.__table__
STATUS_CHANGES = StatusChangeRow.__table__
INCIDENTS = IncidentRow.__table__
INCIDENT_UPDATES = IncidentUpdateRow.__table__
INCIDENT_TARGETS = IncidentTargetRow.__table__
LEASES = LeaseRow.__table__
PROBE_PLAN = ProbePlanRow.__table__
ENGINE_SNAPSHOTS = EngineSnapshotRow.__table__
ENGINE_SNAPSHOT_PARTS = EngineSnapshotPartRow.__table__
DATA_VERSION = DataVersionRow.__table__
SUBSCRIPTIONS = SubscriptionRow.__table__
OUTBOX = OutboxRow.__table__
DELIVERIES = DeliveryRow.__table__
