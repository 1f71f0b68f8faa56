"""What is probed: `[[providers]]` and `[[models]]`, and a provider's secret, read from
the environment variable the config names."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from monitor.config.section import (
    ENV_NAME,
    MAX_MODEL_ID,
    MAX_PROVIDER_ID,
    Seconds,
    Section,
    Text,
)
from monitor.config_checks import CONTROL, check_interval, http_url

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token


class ProviderKind(StrEnum):
    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    OPENAI_COMPATIBLE = "openai_compatible"
    GEMINI = "gemini"


class ProviderSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=MAX_PROVIDER_ID)
    kind: ProviderKind
    base_url: str
    api_key_env: str | None = Field(default=None, pattern=ENV_NAME)
    headers: dict[str, Text] = Field(default_factory=dict)
    simulated: bool = False
    display_name: Text | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value, "base_url").rstrip("/")

    @field_validator("headers")
    @classmethod
    def _header_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not _HEADER_NAME.match(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
        return value

    @property
    def name(self) -> str:
        return self.display_name or self.id


class ModelSettings(Section):
    provider: str
    model: str = Field(min_length=1)
    display_name: Text | None = None
    group: Text | None = None
    interval: Seconds | None = None
    enabled: bool = True
    price_input_per_mtok: float = Field(default=0.0, ge=0)
    price_output_per_mtok: float = Field(default=0.0, ge=0)
    # Unset: 0 where the model takes it, nothing for OpenAI's reasoning models (they
    # reject any but their default, also behind a gateway). "omit" sends none.
    temperature: float | Literal["omit"] | None = None

    @field_validator("temperature", mode="before")
    @classmethod
    def _temperature(cls, value: object) -> object:
        if value is None or value == "omit":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f'expected a number in 0..2 or "omit", got {value!r}')
        if not 0.0 <= value <= 2.0:
            raise ValueError(f'{value:g} is outside 0..2; use a number in 0..2 or "omit"')
        return float(value)

    @field_validator("interval")
    @classmethod
    def _interval_floor(cls, value: float | None) -> float | None:
        return None if value is None else check_interval(value)

    @field_validator("model")
    @classmethod
    def _model(cls, value: str, info: ValidationInfo) -> str:
        # The id goes into request paths (Gemini), page URLs and the store's key column.
        if re.search(r"\s", value) or CONTROL.search(value):
            raise ValueError(f"{value!r} has a space or control character; model ids have none")
        model_id = f"{info.data.get('provider', '')}/{value}"
        if len(model_id) > MAX_MODEL_ID:
            raise ValueError(
                f"the model id (provider/model) is {len(model_id)} characters; "
                f"the store keeps at most {MAX_MODEL_ID}"
            )
        return value

    @property
    def id(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def name(self) -> str:
        return self.display_name or self.model


def api_key_for(provider: ProviderSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The provider's secret from the environment variable the config names, or None.
    Every decision on whether a key is set comes here: a blank value (`KEY="  "`, a
    template left unfilled) is unset, or check-config promised probes that all fail 401."""
    if provider.api_key_env is None:
        return None
    value = (os.environ if environ is None else environ).get(provider.api_key_env, "")
    # No key has spaces; a stray newline (`$(cat key-file)`) would be an illegal header.
    return value.strip() or None


def missing_key(provider: ProviderSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """The variable an operator must set before this provider can be probed, if any."""
    if provider.api_key_env and api_key_for(provider, environ) is None:
        return provider.api_key_env
    return None
