"""What an operator channel's server answered becomes the delivery's error, and a
server's "wait" is waited for by the deliverer, never inside one try: Apprise's own
plugins against real HTTP servers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import pytest

from monitor.notify.channels import OperatorChannels
from monitor.notify.deliverer import Attempt, DeliveryPolicy
from monitor.store.rows.outbox import PENDING
from tests.monitor.notify.receiver import Receiver
from tests.monitor.notify.test_channels import POLICY, SECRET, json_url, with_channels
from tests.monitor.synthetic import START

CHANGE = {
    "subject": "Claude Opus 4.7",
    "old_status": "operational",
    "new_status": "major_outage",
    "reason": "Errors on 80 % of probes.",
}


def attempt(
    url: str,
    environ: Mapping[str, str] | None = None,
    policy: DeliveryPolicy = POLICY,
    within_s: float = 5.0,
) -> Attempt:
    """One try at a channel with this URL, in a thread of its own: a try that blocks
    fails the test after `within_s` instead of holding it."""
    settings = with_channels({"name": "ops", "url": url, "events": ["component_changes"]})
    channels = OperatorChannels(settings, policy, environ or {})
    came: list[Attempt] = []
    delivery = {"address": "ops", "kind": "component", "event": CHANGE}
    thread = threading.Thread(target=lambda: came.append(channels(delivery, START)), daemon=True)
    thread.start()
    thread.join(within_s)
    channels.close()
    assert came, f"one try still blocks after {within_s} s"
    return came[0]


def closed_port() -> int:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        return holder.getsockname()[1]


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/forbidden", "json: HTTP 403 Forbidden"),
        ("/gone", "json: HTTP 410 Gone"),
        ("/fail", "json: HTTP 500 Internal Server Error"),
    ],
)
def test_a_refusal_is_recorded_as_the_status_the_server_gave(receiver, path, said):
    # The secret rides in the URL (here its password); the error says only what came back.
    url = json_url(receiver, path).replace("json://", "json://ops:${HOOK_PASSWORD}@")
    tried = attempt(url, {"HOOK_PASSWORD": SECRET})
    assert (tried.state, tried.error) == (PENDING, said)
    assert receiver.at(path)


def test_no_answer_says_so_without_the_url():
    port = closed_port()
    tried = attempt(f"json://127.0.0.1:{port}/${{HOOK_PATH}}", {"HOOK_PATH": SECRET})
    assert (tried.state, tried.error) == (PENDING, "json: network: ConnectionError")


@pytest.mark.parametrize("path", ["/hang", "/trickle"])
def test_a_server_that_does_not_answer_in_time_is_recorded_as_timed_out(receiver, path):
    # /trickle sends its headers at once, then a byte every 50 ms: no read ever times
    # out, so only a deadline on the whole answer ends the try.
    quick = DeliveryPolicy(timeout_s=0.3, allow_private_targets=True)
    tried = attempt(json_url(receiver, path), policy=quick)
    assert (tried.state, tried.error) == (PENDING, "json: timed out")


def test_a_retry_option_in_the_url_adds_no_tries_inside_ours(receiver):
    # Apprise's `?retry=N` retries in its dispatcher, which a channel does not go through.
    tried = attempt(json_url(receiver, "/fail") + "?retry=3&wait=1")
    assert tried.error == "json: HTTP 500 Internal Server Error"
    assert len(receiver.at("/fail")) == 1


def test_a_rate_limit_the_plugin_would_sleep_on_is_waited_for_by_the_deliverer(
    receiver: Receiver,
):
    # Apprise's Matrix plugin sleeps retry_after_ms and asks again, as Discord's sleeps
    # until X-RateLimit-Reset: ten minutes of one of the four sending slots.
    receiver.matrix_wait_ms = 600_000
    host = receiver.url("").removeprefix("http://")
    tried = attempt(f"matrix://ops:${{MATRIX_PASSWORD}}@{host}/#alerts", {"MATRIX_PASSWORD": "pw"})
    assert tried.state == PENDING
    assert tried.error == "matrix: HTTP 429 Too Many Requests; asked to wait 600 s"
    assert tried.retry_after == "600"  # the deliverer's next try, capped at max_retry_s
    assert len(receiver.at("/_matrix/client/v3/login")) == 1  # and no hidden second ask
