"""Providers and targets: kept in line with the config, which is their only source."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Table, delete

from monitor.config import Settings
from monitor.store.records import provider_to_row, target_to_row
from monitor.store.rows.dialects import insert_for
from monitor.store.rows.schema import PROVIDERS, TARGETS


def sync_config(
    connection: Connection, settings: Settings, missing_keys: Mapping[str, str]
) -> None:
    """Make providers and targets match `settings`; drop those it no longer lists."""
    _check_missing_keys(settings, missing_keys)
    providers = [
        provider_to_row(provider, position, missing_keys.get(provider.id))
        for position, provider in enumerate(settings.providers)
    ]
    targets = [
        target_to_row(settings, model, position) for position, model in enumerate(settings.models)
    ]
    _upsert(connection, PROVIDERS, providers)
    _upsert(connection, TARGETS, targets)
    # Targets first: they point at their provider.
    _keep_only(connection, TARGETS, [row["id"] for row in targets])
    _keep_only(connection, PROVIDERS, [row["id"] for row in providers])


def _upsert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    statement = insert_for(connection.dialect.name)(table).values(rows)
    changes = {c.name: statement.excluded[c.name] for c in table.c if not c.primary_key}
    connection.execute(statement.on_conflict_do_update(index_elements=["id"], set_=changes))


def _keep_only(connection: Connection, table: Table, ids: list[str]) -> None:
    connection.execute(delete(table).where(table.c.id.not_in(ids)))


def _check_missing_keys(settings: Settings, missing_keys: Mapping[str, str]) -> None:
    # A caller that passed key values by mistake must fail here, not store a secret.
    # The message names the provider only, never the value it was given.
    for provider_id, variable in missing_keys.items():
        try:
            expected = settings.provider(provider_id).api_key_env
        except KeyError:
            raise ValueError(f"missing_keys: unknown provider {provider_id!r}") from None
        if variable != expected:
            raise ValueError(
                f"missing_keys[{provider_id!r}] must be the provider's api_key_env name"
            )
