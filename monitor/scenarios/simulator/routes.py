"""Which simulated provider, region and API a request path names.

    [/r/{region}] /{provider} {protocol path}

The optional `/r/{region}` prefix says which vantage point the request comes
from (a prober sets it in its base URL); without it, the scenario's first
region. A region the scenario does not list is served too: only faults for
all regions (`"*"`) reach it. `{provider}` is the provider part of the scenario's model ids, and
picks the wire protocol. The protocol paths are the real APIs':

    anthropic   /v1/messages
    gemini      /v1beta/models/{model}:generateContent
                /v1beta/models/{model}:streamGenerateContent[?alt=sse]
    openai and every other provider
                /v1/chat/completions   (base_url ends in /v1, as for the real API)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType

from monitor.scenarios.simulator import wire_anthropic, wire_gemini, wire_openai
from monitor.scenarios.simulator.protocols import WireProtocol, protocol_for

WIRES: dict[WireProtocol, ModuleType] = {
    WireProtocol.ANTHROPIC: wire_anthropic,
    WireProtocol.OPENAI: wire_openai,
    WireProtocol.GEMINI: wire_gemini,
}
# The error type each API answers a path it does not have with.
ROUTE_NOT_FOUND = {
    WireProtocol.ANTHROPIC: "not_found_error",
    WireProtocol.OPENAI: "invalid_request_error",
    WireProtocol.GEMINI: "NOT_FOUND",
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    region: str
    provider: str
    protocol: WireProtocol
    known: bool  # the path is one of the protocol's APIs
    model: str | None = None  # named by the path (Gemini); else by the body
    stream: bool | None = None  # decided by the path (Gemini); else by the body
    json_array: bool = False

    @property
    def wire(self) -> ModuleType:
        return WIRES[self.protocol]


def route(path: str, query: Mapping[str, str], default_region: str) -> Endpoint | None:
    """The endpoint a path names, or None if it does not even name a provider."""
    segments = path.split("/")
    region = default_region
    if len(segments) > 1 and segments[1] == "r":  # so no provider may be called "r"
        if len(segments) < 3 or not segments[2]:
            return None
        region, segments = segments[2], ["", *segments[3:]]
    if len(segments) < 3 or not segments[1]:
        return None
    provider = segments[1]
    rest = "/" + "/".join(segments[2:])
    protocol = protocol_for(provider)
    if protocol is WireProtocol.ANTHROPIC:
        return Endpoint(region, provider, protocol, rest == wire_anthropic.PATH)
    if protocol is WireProtocol.GEMINI:
        return _gemini(region, provider, rest, query)
    return Endpoint(region, provider, protocol, rest in wire_openai.PATHS)


def _gemini(region: str, provider: str, rest: str, query: Mapping[str, str]) -> Endpoint:
    match = wire_gemini.PATH.match(rest)
    if match is None:
        return Endpoint(region, provider, WireProtocol.GEMINI, known=False)
    streaming = match["method"] == wire_gemini.STREAM_METHOD
    sse = streaming and query.get("alt") == "sse"
    return Endpoint(
        region,
        provider,
        WireProtocol.GEMINI,
        known=True,
        model=match["model"],
        stream=sse,
        json_array=streaming and not sse,
    )
