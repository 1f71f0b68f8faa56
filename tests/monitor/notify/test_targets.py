"""Where a webhook may go, and that it goes to the address that was checked."""

from __future__ import annotations

import socket

import pytest

from monitor.notify.targets import Pinned, pin, unsafe_target


def resolving(*addresses: str):
    calls = []

    def resolve(host, port, **kwargs):
        calls.append(host)
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    resolve.calls = calls
    return resolve


def test_a_webhook_goes_to_the_public_address_it_was_checked_at():
    resolve = resolving("93.184.215.14")
    target = pin("https://hooks.example.org/aistatus?x=1", allow_private=False, resolve=resolve)
    assert target == Pinned(
        "https://93.184.215.14/aistatus?x=1",
        {"Host": "hooks.example.org"},
        {"sni_hostname": "hooks.example.org"},
    )
    assert resolve.calls == ["hooks.example.org"]  # resolved once: no second answer to trust


def test_an_ipv6_address_and_a_port_are_kept():
    target = pin(
        "https://hooks.example.org:8443/h",
        allow_private=False,
        resolve=resolving("2606:2800:21f:cb07:6820:80da:af6b:8b2c"),
    )
    assert target.url == "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:8443/h"
    assert target.headers == {"Host": "hooks.example.org:8443"}


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "fd00::1", "0.0.0.0"]
)
def test_a_name_that_resolves_to_our_own_network_is_refused(address):
    problem = unsafe_target(
        "https://rebind.example.org/",
        allow_private=False,
        resolve=resolving("93.184.215.14", address),
    )
    assert problem == "the host is a loopback, private or link-local address"


def test_labs_may_send_anywhere_as_given():
    assert pin("http://127.0.0.1:9/h", allow_private=True) == Pinned("http://127.0.0.1:9/h")
    assert (
        unsafe_target("http://hooks.example.org/h", allow_private=False)
        == "webhooks go to https URLs only"
    )
