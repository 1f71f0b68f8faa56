"""Operator channels: Slack, Discord, Teams, ntfy, mail and the rest, through Apprise.

    [[notifications.channels]]
    name = "ops-slack"
    url = "slack://${SLACK_TOKEN_A}/${SLACK_TOKEN_B}/${SLACK_TOKEN_C}/#ops"
    events = ["public_incidents", "operator_incidents"]   # and/or component_changes
    models = ["anthropic/claude-opus-4-7"]                 # or providers = [...]; none: all

A channel is a subscription row of kind `operator` (monitor/store/rows/channels.py),
so its messages go through the outbox like any other: written with the change,
fanned out by its filter, claimed and retried with back-off, given up after a day.
Only these rows ever get operator-only incidents (our key, our network).

Secrets live in environment variables, written `${NAME}` in the URL and put in only
when sending. The URL is never stored, logged or shown: logs and `aistatus
notifications` name the channel, and Apprise's own log lines pass a filter that
blanks every value those variables hold. Apprise says only sent or not, so every
failure is tried again later (a channel is never disabled); what the server answered
("HTTP 403 Forbidden", "timed out") and its Retry-After, which Apprise does not pass
on, are read from its answer (`replies`): the first is the delivery's error, the
second waited for as a webhook's is, as is a rate limit a plugin would sleep on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import apprise
from apprise.manager_plugins import NotificationManager

from monitor.config import Settings
from monitor.config_checks import URL_VARIABLE
from monitor.notify import evidence, replies
from monitor.notify.deliverer import Attempt, DeliveryPolicy
from monitor.store.rows.outbox import FAILED, PENDING, SENT

MORE = "https://github.com/caronc/apprise/wiki"  # every scheme Apprise knows
# Where a URL (and the secrets in it) shows up in a log line: Apprise's own, and the
# request line urllib3 logs at DEBUG for Apprise's `requests`.
_LOGGERS = ("apprise", "urllib3.connectionpool")


class MissingVariable(LookupError):
    """A `${NAME}` in a channel's URL whose environment variable is empty or unset."""


def variables(url: str) -> list[str]:
    return URL_VARIABLE.findall(url)


def expand(url: str, environ: Mapping[str, str]) -> str:
    missing = [name for name in variables(url) if not environ.get(name)]
    if missing:
        raise MissingVariable(", ".join(missing))
    return URL_VARIABLE.sub(lambda found: environ[found.group(1)], url)


def scheme(url: str) -> str:
    return url.split("://", 1)[0].lower()


def channel_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """What stops a channel from sending, one line per key: a variable not set, a URL
    Apprise cannot use. The URL itself is never quoted, only its scheme."""
    environ = os.environ if environ is None else environ
    problems = []
    schemes = NotificationManager()  # every scheme Apprise has a plugin for
    for index, channel in enumerate(settings.notifications.channels):
        key = f"notifications.channels[{index}].url"
        if scheme(channel.url) not in schemes:
            problems.append(
                f"{key}: Apprise knows no scheme {scheme(channel.url)!r}:// (see {MORE})"
            )
            continue
        try:
            url = expand(channel.url, environ)
        except MissingVariable as missing:
            problems.append(f"{key}: set the environment variable(s) it names: {missing}")
            continue
        if _quietly_instantiate(url) is None:
            problems.append(
                f"{key}: Apprise cannot use this {scheme(channel.url)}:// URL "
                f"(a part is missing or malformed; see {MORE})"
            )
    return problems


def _quietly_instantiate(url: str) -> Any:
    """Apprise's plugin for `url`, or None. Its complaints would quote the URL with
    its secrets (seen: "Could not load Slack URL: slack://<token>"): the caller says
    what is wrong instead."""
    logger = logging.getLogger("apprise")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        return apprise.Apprise.instantiate(url)
    finally:
        logger.setLevel(level)


def channels_summary(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """What `check-config` says of notifications: who hears what (never a URL)."""
    environ = os.environ if environ is None else environ
    config = settings.notifications
    lines = [
        f"subscriber notifications: {'on' if environ.get(config.key_env) else 'off'} "
        f"({'' if environ.get(config.key_env) else 'set '}{config.key_env})"
    ]
    for channel in config.channels:
        scope = ", ".join([*(channel.providers or ()), *(channel.models or ())]) or "every model"
        lines.append(
            f"operator channel {channel.name} ({scheme(channel.url)}://): "
            f"{', '.join(channel.events)}; {scope}"
        )
    return "\n".join(lines)


def channel_rows(settings: Settings) -> list[dict[str, Any]]:
    """What `Notifications.sync_channels` keeps of each channel: name and filter only."""
    return [
        {
            "name": c.name,
            "providers": list(c.providers or ()),
            "models": list(c.models or ()),
            "events": [e.value for e in c.events],
        }
        for c in settings.notifications.channels
    ]


class Redact(logging.Filter):
    """Blanks the channels' secret values in Apprise's log lines, whatever it logs. The
    values are read when a line is logged: a variable set later is blanked too."""

    def __init__(self, names: list[str], environ: Mapping[str, str]) -> None:
        super().__init__()
        self.names = sorted(set(names))
        self.environ = environ

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = sorted(
            {v for n in self.names if (v := self.environ.get(n))}, key=len, reverse=True
        )
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            for secret in secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


class OperatorChannels:
    """Sends one claimed delivery of kind `operator` (the deliverer's dispatch)."""

    def __init__(
        self, settings: Settings, policy: DeliveryPolicy, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.environ = os.environ if environ is None else environ
        self.redact = Redact(
            [name for c in settings.notifications.channels for name in variables(c.url)],
            self.environ,
        )
        for name in _LOGGERS:
            logging.getLogger(name).addFilter(self.redact)

    def close(self) -> None:
        for name in _LOGGERS:
            logging.getLogger(name).removeFilter(self.redact)

    def __call__(self, delivery: Mapping[str, Any], now: datetime) -> Attempt:
        channel = self.settings.notifications.channel(delivery["address"])
        if channel is None:
            return Attempt(FAILED, "no such channel in the config")
        try:
            # Not _quietly_instantiate: its level switch would race between sending
            # threads; check-config has vouched for the URL and Redact guards the logs.
            service = apprise.Apprise.instantiate(expand(channel.url, self.environ))
        except MissingVariable as missing:
            return Attempt(PENDING, f"set {missing}")
        if service is None:
            return Attempt(PENDING, f"Apprise cannot use the {scheme(channel.url)}:// URL")
        # Apprise's requests take these as connect and read deadlines.
        service.socket_connect_timeout = self.policy.timeout_s
        service.socket_read_timeout = self.policy.timeout_s
        replies.no_long_waits(service, self.policy.timeout_s)
        title, body, kind = message(self.settings, delivery["kind"], delivery["event"])
        name = scheme(channel.url)
        with replies.listening(self.policy.timeout_s) as heard:
            try:
                sent = service.notify(body=body, title=title, notify_type=kind)
            except replies.AskedToWait as asked:
                # Its server said when to come back: the deliverer waits that long (its
                # Retry-After if it sent one) instead of this sending slot.
                return Attempt(
                    PENDING,
                    f"{name}: {replies.outcome(heard)}; {asked}",
                    retry_after=replies.retry_after(heard) or asked.retry_after(),
                )
            except Exception as error:  # a plugin's bug must not cost the message
                return Attempt(PENDING, f"{name}: {type(error).__name__}")
        if sent:
            return Attempt(SENT)
        # A 429 or 503 says when to come back: the deliverer waits that long, as for a
        # webhook, instead of knocking again after its own short back-off. The error
        # says what came back ("HTTP 403 Forbidden"), never the URL or the server's text.
        return Attempt(
            PENDING, f"{name}: {replies.outcome(heard)}", retry_after=replies.retry_after(heard)
        )


def message(
    settings: Settings, kind: str, facts: Mapping[str, Any]
) -> tuple[str, str, apprise.NotifyType]:
    """Title, body and Apprise's severity of one event, in the mails' wording."""
    base = settings.site.public_url.rstrip("/")
    if kind == "incident":
        update = facts["updates"][-1]
        state = update["status"]
        private = "" if facts["public"] else " (operator only, not public)"
        title = f"[{settings.site.title}] {state.capitalize()}: {facts['title']}{private}"
        # An operator-only incident has no public page: its link would be a 404.
        link = [f"{base}/incidents/{facts['id']}"] if facts["public"] else []
        said = [update["body"], *evidence.lines(dict(facts)), *link]
        severity = (
            apprise.NotifyType.SUCCESS
            if state == "resolved"
            else apprise.NotifyType.FAILURE
            if facts["worst"] == "major_outage"
            else apprise.NotifyType.WARNING
        )
        return title, "\n\n".join(said), severity
    new = facts["new_status"].replace("_", " ")
    title = f"[{settings.site.title}] {facts['subject']} is {new}"
    said = [
        f"{facts['subject']} went from {facts['old_status'].replace('_', ' ')} to {new}.",
        facts["reason"] or "",
        base,
    ]
    severity = (
        apprise.NotifyType.SUCCESS
        if facts["new_status"] == "operational"
        else apprise.NotifyType.FAILURE
        if facts["new_status"] == "major_outage"
        else apprise.NotifyType.WARNING
    )
    return title, "\n\n".join(s for s in said if s), severity
