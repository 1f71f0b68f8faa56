"""Email: the messages (plain text and HTML from the same wording) and the SMTP sender.

Every notification mail carries a one-click unsubscribe link in its text and the
`List-Unsubscribe` / `List-Unsubscribe-Post: List-Unsubscribe=One-Click` headers
(RFC 8058), so mail clients offer the button themselves. A confirmation mail
carries a signed link that expires; nothing else is sent before it is followed.

The SMTP password comes from the environment variable `[notifications]
smtp_password_env` names, read when sending, and is never logged: errors are
reported by their class and SMTP code only.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import Any
from urllib.parse import unquote, urlsplit

from monitor.config import NotificationSettings, Settings
from monitor.notify import evidence

TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    lines: tuple[str, ...]              # paragraphs; the same words in both parts
    links: tuple[tuple[str, str], ...]  # (label, url)
    unsubscribe_url: str | None = None
    event_id: str | None = None


def incident_mail(settings: Settings, to: str, facts: dict[str, Any], event_id: str,
                  unsubscribe_url: str) -> Mail:
    update = facts["updates"][-1]
    state = update["status"]
    lines = [update["body"], *evidence.lines(facts)]
    page = settings.site.public_url.rstrip("/") + f"/incidents/{facts['id']}"
    return Mail(to, f"[{settings.site.title}] {state.capitalize()}: {facts['title']}",
                tuple(lines), (("The incident", page), ("Unsubscribe", unsubscribe_url)),
                unsubscribe_url, event_id)


def component_mail(settings: Settings, to: str, facts: dict[str, Any], event_id: str,
                   unsubscribe_url: str) -> Mail:
    new = facts["new_status"].replace("_", " ")
    old = facts["old_status"].replace("_", " ")
    subject = f"[{settings.site.title}] {facts['subject']} is {new}"
    lines = (f"{facts['subject']} went from {old} to {new}.", facts["reason"])
    page = settings.site.public_url.rstrip("/")
    return Mail(to, subject, tuple(line for line in lines if line),
                (("Status page", page), ("Unsubscribe", unsubscribe_url)),
                unsubscribe_url, event_id)


def confirmation_mail(settings: Settings, to: str, confirm_url: str, scope: str) -> Mail:
    return Mail(to, f"[{settings.site.title}] Confirm your subscription", (
        f"Someone, hopefully you, asked {settings.site.title} to tell this address about "
        f"{scope}.",
        "Follow the link within 24 hours to start. If it was not you, ignore this mail: "
        "nothing more will come.",
    ), (("Confirm the subscription", confirm_url),))


def render(mail: Mail, sender: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    message["Auto-Submitted"] = "auto-generated"
    if mail.event_id:
        message["X-Aistatus-Event-Id"] = mail.event_id
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = "\n\n".join(mail.lines) + "\n\n" + "\n".join(
        f"{label}: {url}" for label, url in mail.links) + "\n"
    message.set_content(text)
    html = "".join(f"<p>{escape(line)}</p>" for line in mail.lines) + "".join(
        f'<p><a href="{escape(url)}">{escape(label)}</a></p>' for label, url in mail.links)
    message.add_alternative(f"<!doctype html><html><body>{html}</body></html>", subtype="html")
    return message


class Mailer:
    """Sends over SMTP: `smtp://` (STARTTLS when the server offers it) or `smtps://`.

    Each sending thread keeps its connection open for the next mail (a handshake per
    mail made a fan-out to thousands ten times slower); a connection the server
    dropped meanwhile is opened again once."""

    def __init__(self, settings: NotificationSettings) -> None:
        if not settings.smtp_url or not settings.from_:
            raise ValueError("[notifications] smtp_url and from are needed to send mail")
        self.settings = settings
        self.sender = settings.from_
        self._local = threading.local()
        self._open: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    def send(self, mail: Mail, now: datetime) -> None:
        """Raises smtplib.SMTPException or OSError; the caller decides to retry."""
        message = render(mail, self.sender, now)
        kept: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if kept is not None:
            try:
                kept.send_message(message)
                return
            except (smtplib.SMTPServerDisconnected, OSError):
                self._drop(kept)
        smtp = self._connect()
        try:
            smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop(smtp)
            raise

    def close(self) -> None:
        with self._lock:
            connections, self._open = self._open, []
        for smtp in connections:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connect(self) -> smtplib.SMTP:
        parts = urlsplit(self.settings.smtp_url or "")
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        host = parts.hostname or ""
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_S, context=ssl.create_default_context())
            if secure else smtplib.SMTP(host, port, timeout=TIMEOUT_S))
        try:
            if not secure:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
            password_env = self.settings.smtp_password_env
            if parts.username and password_env:
                smtp.login(unquote(parts.username), os.environ.get(password_env, ""))
        except BaseException:
            smtp.close()
            raise
        self._local.smtp = smtp
        with self._lock:
            self._open.append(smtp)
        return smtp

    def _drop(self, smtp: smtplib.SMTP) -> None:
        self._local.smtp = None
        with self._lock:
            if smtp in self._open:
                self._open.remove(smtp)
        smtp.close()
