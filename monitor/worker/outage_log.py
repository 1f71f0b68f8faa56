"""Chores that meet an unreachable database say so once per outage, not once a minute.

The status engine runs every minute and retention hourly; during a five-minute
PostgreSQL outage each used to log a three-line error per run. What the operator needs
is one line when the chore starts waiting for the database and one when it runs
again. Errors that are not the database being unreachable are logged every time:
they are bugs or bad data, and hiding them would hide the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from monitor.store import describe_error, is_unavailable

log = logging.getLogger(__name__)


def once_per_outage(name: str, run: Callable[[], object]) -> Callable[[], object]:
    """`run`, whose database-unreachable errors are logged on the first failing run only."""
    failed_runs = 0

    def guarded() -> object:
        nonlocal failed_runs
        try:
            outcome = run()
        except Exception as error:
            if not is_unavailable(error):
                raise
            if failed_runs == 0:
                log.warning("%s waits for the database: %s", name, describe_error(error))
            failed_runs += 1
            return None
        if failed_runs:
            log.info("%s runs again after %d missed run(s)", name, failed_runs)
            failed_runs = 0
        return outcome

    return guarded
