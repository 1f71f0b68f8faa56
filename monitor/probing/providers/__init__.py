"""Provider adapters: one small, pure module per wire protocol.

`adapter_for(kind)` is the one way in; the probe never names a provider.
"""

from __future__ import annotations

from monitor.config import ProviderKind
from monitor.probing.providers import anthropic, gemini, openai
from monitor.probing.providers.base import Adapter

_ADAPTERS = {
    ProviderKind.ANTHROPIC: anthropic.ADAPTER,
    ProviderKind.OPENAI: openai.OPENAI,
    ProviderKind.OPENAI_COMPATIBLE: openai.OPENAI_COMPATIBLE,
    ProviderKind.GEMINI: gemini.ADAPTER,
}


def adapter_for(kind: ProviderKind) -> Adapter:
    return _ADAPTERS[kind]


__all__ = ["Adapter", "adapter_for"]
