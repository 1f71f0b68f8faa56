"""Readable names for model ids that no config names: "claude-opus-4-7" → "Claude Opus 4.7"."""

from __future__ import annotations

import re

_UPPER = {"gpt", "llm", "ai", "oss", "vl"}
# Provider names people know, for scenarios replayed without a config that names them.
PROVIDER_NAMES = {
    "anthropic": "Anthropic",
    "openai": "OpenAI",
    "gemini": "Google Gemini",
    "google": "Google",
    "mistral": "Mistral",
    "together": "Together AI",
    "openrouter": "OpenRouter",
    "groq": "Groq",
    "deepseek": "DeepSeek",
}


def provider_name_for(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


def display_name_for(model: str) -> str:
    words: list[str] = []
    for part in re.split(r"[-_ ]+", model):
        if not part:
            continue
        if part.isdigit() and words and words[-1][-1:].isdigit():
            # Version numbers written with dashes ("4-7") read as "4.7".
            words[-1] += f".{part}"
        elif part.lower() in _UPPER:
            words.append(part.upper())
        else:
            words.append(part[:1].upper() + part[1:])
    return " ".join(words) or model
