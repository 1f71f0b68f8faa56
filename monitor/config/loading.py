"""A config file → `Settings`, or a `ConfigError` naming each bad key."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from monitor.config.settings import Settings
from monitor.config_checks import Outline


class ConfigError(Exception):
    """A config file that cannot be used; the message names each bad key."""

    def __init__(self, message: str, problems: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems  # one line each, naming the key; empty: the file itself


def load_settings(path: str | Path) -> Settings:
    path = Path(path)
    return settings_from_dict(read_config(path), base_dir=path.resolve().parent, source=str(path))


def read_config(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; ConfigError, in one line, if it cannot be read as TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory; give the config file's path") from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
            f"{error.start}); save the file as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def settings_from_dict(
    raw: Mapping[str, Any], base_dir: str | Path = ".", source: str = "config"
) -> Settings:
    if "base_dir" in raw:
        raise ConfigError(f"{source}: base_dir: unknown key")
    try:
        return Settings.model_validate({**raw, "base_dir": str(base_dir)})
    except ValidationError as error:
        problems = _problems(error)
        # A bad key stops pydantic before the cross-checks; run them on what did parse.
        defaults = Outline.of(Settings())
        problems += [p for p in Outline.lenient(raw, defaults).problems() if p not in problems]
        raise ConfigError(describe_problems(problems, source), tuple(problems)) from None


def describe_problems(problems: list[str], source: str) -> str:
    """One line per problem, each naming its key, under one line naming the file."""
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return "\n".join([f"{source}: {len(problems)} problem(s):", *(f"  {p}" for p in problems)])


def _problems(error: ValidationError) -> list[str]:
    problems: list[str] = []
    for item in error.errors(include_url=False, include_input=False):
        path = _key_path(item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        if path:
            problems.append(f"{path}: {message}")
        else:
            # Cross-field checks already name their keys, one problem per line.
            problems.extend(message.split("\n"))
    return problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
