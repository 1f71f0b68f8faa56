"""The worker's notification chore: verify new webhooks, then deliver what is due.

Runs every few seconds beside the status engine. Needs the operator's key (the
environment variable `[notifications] key_env` names): it signs every webhook and
derives each subscription's secret. Without it nothing is sent and the outbox
keeps every notification until the key is set.
"""

from __future__ import annotations

import logging
import os

from apscheduler.triggers.interval import IntervalTrigger

from monitor.clock import Clock
from monitor.config import Settings
from monitor.notify.deliverer import Deliverer, DeliveryPolicy
from monitor.notify.mail import Mailer
from monitor.notify.subscriptions import EmailConfirmations, WebhookVerifier
from monitor.probing.scheduler import Chore
from monitor.store import Store, is_unavailable
from monitor.store.notifications import Notifications
from monitor.worker.outage_log import once_per_outage

log = logging.getLogger(__name__)
EVERY_S = 5


def notification_chore(settings: Settings, store: Store, clock: Clock) -> Chore | None:
    key = os.environ.get(settings.notifications.key_env, "")
    if not key:
        log.warning("notifications are not sent: set %s (the outbox keeps them meanwhile)",
                    settings.notifications.key_env)
        return None
    policy = DeliveryPolicy(allow_private_targets=settings.notifications.allow_private_targets)
    notifications = Notifications(store)
    mailer = Mailer(settings.notifications) if settings.notifications.smtp_url else None
    deliverer = Deliverer(notifications, settings, key.encode(), clock, policy, mailer=mailer)
    verifier = WebhookVerifier(notifications, key.encode(), clock, deliverer.client, policy)
    confirmations = (EmailConfirmations(notifications, settings, key.encode(), clock, mailer)
                     if mailer else None)

    def deliver() -> int:
        try:
            verifier.verify_pending()
            if confirmations:
                confirmations.send_pending()
        except Exception as error:
            if not is_unavailable(error):
                raise
        return deliverer.run_for(EVERY_S - 1)

    return Chore("notifications", once_per_outage("notifications", deliver),
                 IntervalTrigger(seconds=EVERY_S, timezone="UTC"))
