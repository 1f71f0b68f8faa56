"""`[notifications]`: mail and webhooks to subscribers, and `[[notifications.channels]]`
(operator channels through Apprise)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from monitor.config.section import ENV_NAME, Section
from monitor.config_checks import check_channel_url, check_mail_address, check_smtp_url


class ChannelEvent(StrEnum):
    """What an operator channel may hear (the outbox's words, monitor/store/rows/outbox.py)."""

    PUBLIC_INCIDENTS = "public_incidents"
    OPERATOR_INCIDENTS = "operator_incidents"  # our key, our network: never public
    COMPONENT_CHANGES = "component_changes"


class ChannelSettings(Section):
    """`[[notifications.channels]]`: an operator channel, sent to through Apprise.

    `url` is an Apprise URL (slack://, discord://, msteams://, ntfy://, mailto://,
    json://, ...). Secrets in it are written `${VARIABLE}` and read from the
    environment when sending; the URL is never logged or stored."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)
    url: Annotated[str, AfterValidator(check_channel_url)]
    events: tuple[ChannelEvent, ...] = (
        ChannelEvent.PUBLIC_INCIDENTS,
        ChannelEvent.OPERATOR_INCIDENTS,
    )
    # Left out: every provider and model; given: only events touching one of them.
    providers: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None

    @field_validator("events", "providers", "models")
    @classmethod
    def _chosen(cls, value: tuple[str, ...] | None, info: ValidationInfo) -> Any:
        if value is not None and not value:
            hint = (
                "name at least one of " + ", ".join(ChannelEvent)
                if info.field_name == "events"
                else "leave the key out to hear of every one"
            )
            raise ValueError(f"is empty: {hint}")
        if value and not all(value):
            raise ValueError("holds an empty id")
        return value


class NotificationSettings(Section):
    """`[notifications]`: mail and webhooks to subscribers, and operator channels
    (monitor/notify/)."""

    # smtp://host:port (STARTTLS when offered) or smtps://host:port; user in the URL,
    # the password only from the environment variable `smtp_password_env` names.
    smtp_url: Annotated[str | None, AfterValidator(check_smtp_url)] = None
    smtp_password_env: str | None = Field(default=None, pattern=ENV_NAME)
    from_: Annotated[str | None, AfterValidator(check_mail_address)] = Field(
        default=None, alias="from"
    )
    # Signs webhooks, derives each subscription's secret and unsubscribe links.
    key_env: str = Field(default="AISTATUS_NOTIFY_KEY", pattern=ENV_NAME)
    allow_private_targets: bool = False  # webhooks to loopback/private addresses: labs only
    # Outbox rows (and their deliveries) are deleted this long after their event.
    keep_days: int = Field(default=30, ge=2)
    channels: tuple[ChannelSettings, ...] = ()

    @model_validator(mode="after")
    def _sender(self) -> Self:
        if self.smtp_url and not self.from_:
            raise ValueError("smtp_url needs `from`, the address mails are sent from")
        return self

    def channel(self, name: str) -> ChannelSettings | None:
        return next((c for c in self.channels if c.name == name), None)
