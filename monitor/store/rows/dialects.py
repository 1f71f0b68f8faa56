"""The statements that differ between SQLite and PostgreSQL, chosen by dialect name.

Many rows at once, two ways. SQLite runs in-process: an executemany of one
short statement costs little per row. PostgreSQL is a round trip away, and
psycopg parses each query text in Python, caching only short ones; so many
rows travel as one parameter (a JSON list of rows, or an array of ids),
the statement stays short and cached, and the server works set-at-a-time:

    INSERT .. SELECT .. FROM jsonb_to_recordset(:rows) AS k(target varchar, ...)
    UPDATE rollups SET ok = ok + k.ok .. FROM jsonb_to_recordset(:rows) AS k(..) WHERE ..
    SELECT .. FROM rollups JOIN jsonb_to_recordset(:keys) AS k(..) ON .. FOR UPDATE
    SELECT id FROM probe_results WHERE id = ANY(:ids)

Measured on a 500-result batch (1,100 rollup keys): per-row arrays took
psycopg ~80 ms to build in Python, multi-row VALUES about as long to parse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    TableValuedAlias,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    update,
)
from sqlalchemy import column as column_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql.schema import Column

Row = Mapping[str, Any]


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT, which has ON CONFLICT; same API on SQLite and PostgreSQL."""
    return sqlite.insert if dialect == "sqlite" else postgresql.insert


def hold_advisory_lock(connection: Connection, key: int) -> None:
    """Hold the lock `key` until the transaction ends, waiting for it: one writer at a
    time for work that reads before it writes. PostgreSQL only: a SQLite write
    transaction already excludes every other writer from BEGIN IMMEDIATE on."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def value_in(column: Column[Any], values: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    """`column IN values`."""
    if dialect != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


def lock_by_key(connection: Connection, table: Table, keys: Sequence[Row]) -> list[Row]:
    """The rows of `table` whose primary key is one of `keys` (dicts by column name),
    locked until the transaction ends (SQLite: the write transaction locks everything)."""
    key = list(table.primary_key)
    if connection.dialect.name == "postgresql":
        source = _rows_source(key, keys)
        matching = and_(*(column == source.c[column.name] for column in key))
        query = select(table).join_from(table, source, matching).with_for_update(of=table)
        return list(connection.execute(query).mappings())
    # SQLite answers `(a, b, ...) IN (rows)` with a full scan; `a IN (...) AND b = ?
    # AND ...` seeks the primary key. So: one statement per distinct rest of the key.
    first, rest = key[0], key[1:]
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for row in keys:
        groups.setdefault(tuple(row[c.name] for c in rest), []).append(row[first.name])
    found: list[Row] = []
    for rest_values, firsts in groups.items():
        equal = (column == value for column, value in zip(rest, rest_values, strict=True))
        query = select(table).where(first.in_(firsts), *equal)
        found.extend(connection.execute(query).mappings())
    return found


def insert_new(connection: Connection, table: Table, rows: Sequence[Row]) -> list[Row]:
    """Insert `rows` (dicts by column name) whose primary key is not stored yet;
    returns the primary keys of the rows inserted."""
    if not rows:
        return []
    key = list(table.primary_key)
    statement = insert_for(connection.dialect.name)(table)
    if connection.dialect.name != "postgresql":
        statement = statement.on_conflict_do_nothing().returning(*key)
        return list(connection.execute(statement, list(rows)).mappings())
    names = list(rows[0])
    source = _rows_source([table.c[name] for name in names], rows)
    from_arrays = select(*(source.c[name] for name in names))
    statement = statement.from_select(names, from_arrays).on_conflict_do_nothing()
    return list(connection.execute(statement.returning(*key)).mappings())


def update_by_key(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    *,
    add: Sequence[str],
    replace: Sequence[str],
) -> None:
    """For each row (dicts by column name, with the primary key): the row's values are
    added to the `add` columns and written over the `replace` columns."""
    if not rows:
        return
    key = [column.name for column in table.primary_key]
    columns = table.c
    if connection.dialect.name != "postgresql":
        # Bound names must differ from column names in an UPDATE's SET and WHERE.
        statement = (
            update(table)
            .where(*(columns[k] == bindparam(f"key_{k}") for k in key))
            .values({columns[n]: columns[n] + bindparam(f"add_{n}") for n in add})
            .values({columns[n]: bindparam(f"new_{n}") for n in replace})
        )
        connection.execute(statement, [_prefixed(row, key, add, replace) for row in rows])
        return
    source = _rows_source([columns[name] for name in (*key, *add, *replace)], rows)
    statement = (
        update(table)
        .where(*(columns[k] == source.c[k] for k in key))
        .values({columns[n]: columns[n] + source.c[n] for n in add})
        .values({columns[n]: source.c[n] for n in replace})
    )
    connection.execute(statement)


def _prefixed(
    row: Row, key: Sequence[str], add: Sequence[str], replace: Sequence[str]
) -> dict[str, Any]:
    prefixed = {f"key_{name}": row[name] for name in key}
    prefixed.update({f"add_{name}": row[name] for name in add})
    return prefixed | {f"new_{name}": row[name] for name in replace}


def _rows_source(columns: Sequence[Column[Any]], rows: Sequence[Row]) -> TableValuedAlias:
    """PostgreSQL `jsonb_to_recordset(:rows) AS anon(col1 type1, ...)` over `rows`.

    One JSON text parameter: Python's json is C and PostgreSQL parses JSON in C,
    where psycopg would build an array parameter per column value by value in Python.
    """
    names = [column.name for column in columns]
    payload = json.dumps([{name: row[name] for name in names} for row in rows], default=_json)
    records = func.jsonb_to_recordset(cast(bindparam(None, payload, type_=Text()), JSONB))
    typed = (column_(column.name, column.type) for column in columns)
    return records.table_valued(*typed).render_derived(with_types=True)


def _json(value: object) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: aistatus stores timezone-aware UTC times only")
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to PostgreSQL as JSON")
