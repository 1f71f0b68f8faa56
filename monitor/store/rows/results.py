"""Raw probe results: inserting a batch once, and telling which of its results were new.

Which ids are new is read first (inside the write transaction), then only those
are inserted. On SQLite nothing can come between: the transaction holds the
write lock. On PostgreSQL another transaction could insert one of the same ids
in between; the insert then skips it, the counts disagree, and the batch fails
with `ConcurrentWriteError` so it is retried whole rather than rolled up twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from monitor.results import ProbeResult
from monitor.store.records import result_to_row
from monitor.store.rows.dialects import insert_for, value_in
from monitor.store.rows.schema import PROBE_RESULTS

# Ids per lookup: inside SQLite's limit of 32766 parameters per statement.
_IDS_PER_LOOKUP = 5000


class ConcurrentWriteError(RuntimeError):
    """Another writer stored some of the same results at the same moment: retry the batch."""


def insert_new_results(connection: Connection, results: Sequence[ProbeResult]) -> list[ProbeResult]:
    """Insert the results whose id is not stored yet; returns them, each id once."""
    ids = list(dict.fromkeys(result.id for result in results))
    new = _first_of_each(results, set(ids) - _stored_ids(connection, ids))
    if not new:
        return []
    statement = (
        insert_for(connection.dialect.name)(PROBE_RESULTS)
        .on_conflict_do_nothing(index_elements=["id"])
        # SQLAlchemy only keeps an executemany INSERT's rowcount when asked to.
        .execution_options(preserve_rowcount=True)
    )
    # One short statement run for many rows: parsed and compiled once.
    inserted = connection.execute(statement, [result_to_row(r) for r in new]).rowcount
    if inserted != len(new):
        raise ConcurrentWriteError(
            f"{len(new) - inserted} of {len(new)} results were stored by another writer meanwhile"
        )
    return new


def _stored_ids(connection: Connection, ids: list[str]) -> set[str]:
    column, dialect = PROBE_RESULTS.c.id, connection.dialect.name
    stored: set[str] = set()
    for start in range(0, len(ids), _IDS_PER_LOOKUP):
        chunk = ids[start : start + _IDS_PER_LOOKUP]
        stored.update(
            connection.execute(select(column).where(value_in(column, chunk, dialect))).scalars()
        )
    return stored


def _first_of_each(results: Sequence[ProbeResult], ids: set[str]) -> list[ProbeResult]:
    """The results with these ids, each id once: the first, as a plain INSERT would keep."""
    wanted, picked = set(ids), []
    for result in results:
        if result.id in wanted:
            wanted.discard(result.id)
            picked.append(result)
    return picked
