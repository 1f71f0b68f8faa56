"""The worker's notification chore: verify new webhooks, deliver what is due, and keep
the outbox bounded.

Runs every few seconds beside the status engine. Subscribers need the operator's key
(the environment variable `[notifications] key_env` names): it signs every webhook
and derives each subscription's secret and link. Without it subscriber messages
are off (subscriptions wait unconfirmed, nothing is sent to them, one INFO line
says so) while operator channels (`[[notifications.channels]]`, which need no key)
are delivered all the same. Either way, outbox rows older than `keep_days` go
with their deliveries, once an hour.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger

from monitor.clock import Clock
from monitor.config import Settings
from monitor.notify import signing
from monitor.notify.channels import OperatorChannels, channel_rows
from monitor.notify.deliverer import CHANNELS, Deliverer, DeliveryPolicy
from monitor.notify.mail import Mailer
from monitor.notify.subscriptions import EmailConfirmations, WebhookVerifier
from monitor.probing.scheduler import Chore
from monitor.store import Store, is_unavailable
from monitor.store.notifications import Notifications
from monitor.worker.outage_log import once_per_outage

log = logging.getLogger(__name__)
EVERY_S = 5
PRUNE_EVERY = timedelta(hours=1)


def notification_chore(settings: Settings, store: Store, clock: Clock) -> Chore:
    config = settings.notifications
    key = os.environ.get(config.key_env, "").encode()
    policy = DeliveryPolicy(allow_private_targets=config.allow_private_targets)
    notifications = Notifications(store)
    operator = OperatorChannels(settings, policy) if config.channels else None
    mailer = Mailer(config) if key and config.smtp_url else None
    deliverer = Deliverer(
        notifications,
        settings,
        key,
        clock,
        policy,
        mailer=mailer,
        operator=operator,
        kinds=CHANNELS if key else ("operator",),
    )
    verifier = WebhookVerifier(notifications, key, clock, deliverer.client, policy)
    confirmations = (
        EmailConfirmations(notifications, settings, key, clock, mailer) if mailer else None
    )
    if not key:
        log.info(
            "subscriber notifications are off until %s is set; operator channels: %d",
            config.key_env,
            len(config.channels),
        )
    pruned_at: list[datetime] = []
    synced: list[bool] = []

    def deliver() -> int:
        now = clock.now()
        try:
            if not synced:  # the channels' rows follow the config this worker started with
                notifications.sync_channels(channel_rows(settings), now, signing.new_salt())
                synced.append(True)
            if not pruned_at or now - pruned_at[-1] >= PRUNE_EVERY:
                notifications.prune(now - timedelta(days=config.keep_days))
                pruned_at[:] = [now]
            if key:
                verifier.verify_pending()
                if confirmations:
                    confirmations.send_pending()
        except Exception as error:
            if not is_unavailable(error):
                raise
        return deliverer.run_for(EVERY_S - 1)

    return Chore(
        "notifications",
        once_per_outage("notifications", deliver),
        IntervalTrigger(seconds=EVERY_S, timezone="UTC"),
    )
