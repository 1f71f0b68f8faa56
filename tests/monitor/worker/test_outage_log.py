import logging

import pytest
from sqlalchemy import exc

from monitor.worker.outage_log import once_per_outage

DOWN = exc.OperationalError("SELECT 1", {}, Exception("connection refused\nDETAIL: more"))


def test_a_chore_says_once_that_it_waits_for_the_database_and_once_that_it_runs_again(caplog):
    answers = iter([DOWN, DOWN, DOWN, 7])

    def evaluate():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    chore = once_per_outage("status engine", evaluate)
    with caplog.at_level(logging.INFO, logger="monitor.worker.outage_log"):
        outcomes = [chore() for _ in range(4)]
    assert outcomes == [None, None, None, 7]
    assert [r.getMessage() for r in caplog.records] == [
        "status engine waits for the database: Exception: connection refused",
        "status engine runs again after 3 missed run(s)",
    ]


def test_a_chore_that_fails_for_another_reason_still_raises_every_time():
    def broken():
        raise exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

    chore = once_per_outage("retention", broken)
    for _ in range(2):
        with pytest.raises(exc.IntegrityError):
            chore()
