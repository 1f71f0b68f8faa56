import logging
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from monitor.clock import FakeClock
from monitor.store import ResultWriter, Store

from .conftest import PG_PORT, pg_url
from .factories import T0, make_result, results_every_minute
from .tcp_proxy import TcpProxy

# Long enough that the background thread never writes on its own during a test:
# the tests drive writes with flush(), and stop() shows the thread hands over cleanly.
QUIET_S = 3600.0


def ids(results):
    return sorted(result.id for result in results)


class MemorySink:
    """A store that keeps results in a list and can be switched off."""

    def __init__(self):
        self.results = []
        self.down = False

    def record_results(self, results):
        if self.down:
            raise OperationalError(
                "INSERT INTO probe_results ...",
                {},
                ConnectionRefusedError(
                    "connection to server at 127.0.0.1, port 5432 failed: Connection refused"
                ),
            )
        self.results.extend(results)
        return len(results)


class SqliteLockedByAnotherProcess:
    def __init__(self, tmp_path):
        self.path = tmp_path / "aistatus.db"
        self.url = f"sqlite:///{self.path}"
        self._holder = None

    def begin(self):
        self._holder = sqlite3.connect(self.path, isolation_level=None)
        self._holder.execute("BEGIN EXCLUSIVE")

    def end(self):
        self._holder.execute("ROLLBACK")
        self._holder.close()

    def close(self):
        pass


class PostgresRestarting:
    def __init__(self, schema):
        self._proxy = TcpProxy(PG_PORT)
        self._proxy.start()
        self.url = pg_url(schema, port=self._proxy.port)

    def begin(self):
        self._proxy.stop()

    def end(self):
        self._proxy.start()

    def close(self):
        self._proxy.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outage(request, tmp_path):
    if request.param == "sqlite":
        database = SqliteLockedByAnotherProcess(tmp_path)
    else:
        database = PostgresRestarting(request.getfixturevalue("pg_schema"))
    yield database
    database.close()


def test_no_result_is_lost_or_duplicated_across_an_outage(outage, caplog):
    store = Store(outage.url, busy_timeout_ms=50)
    store.upgrade()
    writer = ResultWriter(store, clock=FakeClock(T0), batch_size=4, flush_every_s=QUIET_S)
    writer.start()
    before = results_every_minute(6)
    during = results_every_minute(7, start=T0 + timedelta(hours=1))
    after = results_every_minute(5, start=T0 + timedelta(hours=2))

    for result in before:
        writer.submit(result)
    assert writer.flush() == 6

    outage.begin()
    for result in during:
        writer.submit(result)
    assert writer.flush() == 0
    assert writer.flush() == 0
    assert writer.buffered == 7
    assert "OperationalError" in writer.last_error

    outage.end()
    for result in after:
        writer.submit(result)
    assert writer.flush() == 12
    writer.stop()

    stored = store.results_between(T0, T0 + timedelta(days=1))
    assert ids(stored) == ids(before + during + after)
    assert (writer.written, writer.buffered, writer.dropped, writer.last_error) == (18, 0, 0, None)
    outage_warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_warnings) == 1
    store.dispose()


class LosesTheFirstAcknowledgement:
    """Commits a batch, then fails as if the connection died before the reply came back."""

    def __init__(self, store):
        self.store = store
        self.lost = False

    def record_results(self, results):
        inserted = self.store.record_results(results)
        if not self.lost:
            self.lost = True
            raise OperationalError(
                "INSERT INTO probe_results ...",
                {},
                ConnectionResetError("server closed the connection unexpectedly"),
            )
        return inserted


def test_a_batch_retried_after_a_lost_acknowledgement_is_stored_once(store):
    writer = ResultWriter(LosesTheFirstAcknowledgement(store), clock=FakeClock(T0))
    results = results_every_minute(5)
    for result in results:
        writer.submit(result)

    assert writer.flush() == 0
    assert writer.last_error == "ConnectionResetError: server closed the connection unexpectedly"
    assert writer.flush() == 5
    assert ids(store.results_between(T0, T0 + timedelta(days=1))) == ids(results)


def test_a_result_the_database_refuses_is_dropped_without_holding_back_its_batch(store):
    writer = ResultWriter(store, clock=FakeClock(T0))
    good = results_every_minute(4)
    naive = make_result(at=T0.replace(tzinfo=None))
    for result in [*good[:2], naive, *good[2:]]:
        writer.submit(result)

    assert writer.flush() == 4
    assert (writer.dropped, writer.buffered) == (1, 0)
    assert ids(store.results_between(T0, T0 + timedelta(days=1))) == ids(good)


def test_a_full_buffer_drops_the_oldest_says_so_once_and_counts_them_on_recovery(caplog):
    sink = MemorySink()
    sink.down = True
    clock = FakeClock(T0)
    writer = ResultWriter(sink, clock=clock, batch_size=10, buffer_max=100)
    results = results_every_minute(150)
    with caplog.at_level(logging.WARNING):
        for result in results:
            writer.submit(result)
        writer.flush()
        clock.advance(42)
        later = results_every_minute(30, start=T0 + timedelta(hours=5))
        for result in later:
            writer.submit(result)
        writer.flush()
        sink.down = False
        assert writer.flush() == 100

    assert writer.dropped == 80
    assert sink.results == [*results, *later][80:]
    full = [r.getMessage() for r in caplog.records if "buffer full" in r.getMessage()]
    assert full == [
        "result buffer full (100 results): dropping the oldest until the store "
        "recovers; the count comes with the recovery"
    ]
    recovered = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    assert recovered == [
        "result store reachable again after 2 failed writes over 42 s; "
        "80 results dropped by the full buffer meanwhile, 80 since start"
    ]


def test_a_second_outage_logs_its_own_drops_and_the_running_total(caplog):
    sink = MemorySink()
    writer = ResultWriter(sink, clock=FakeClock(T0), batch_size=10, buffer_max=10)
    for outage_no in range(2):
        sink.down = True
        for result in results_every_minute(15, start=T0 + timedelta(hours=outage_no)):
            writer.submit(result)
        writer.flush()
        sink.down = False
        writer.flush()
    recovered = [r.getMessage() for r in caplog.records if "reachable again" in r.getMessage()]
    assert [m.split("; ")[1] for m in recovered] == [
        "5 results dropped by the full buffer meanwhile, 5 since start",
        "5 results dropped by the full buffer meanwhile, 10 since start",
    ]
    assert len([r for r in caplog.records if "buffer full" in r.getMessage()]) == 2


def test_however_long_the_outage_the_writer_tries_again_within_five_seconds():
    sink = MemorySink()
    sink.down = True
    clock = FakeClock(T0)
    writer = ResultWriter(sink, clock=clock)
    writer.submit(make_result())
    delays = []
    for _ in range(30):  # every failure backs off further, up to the cap
        writer.flush()
        delays.append(writer.retry_in_s())
        clock.advance(delays[-1])
    assert delays[:4] == [0.5, 1.0, 2.0, 5.0]
    assert max(delays) == 5.0
    sink.down = False
    writer.flush()
    assert writer.retry_in_s() is None and len(sink.results) == 1


def test_flush_writes_in_batches_of_the_configured_size():
    batches = []

    class CountingSink:
        def record_results(self, results):
            batches.append(len(results))
            return len(results)

    writer = ResultWriter(CountingSink(), clock=FakeClock(T0), batch_size=4)
    for result in results_every_minute(10):
        writer.submit(result)
    assert writer.flush() == 10
    assert batches == [4, 4, 2]


def test_stop_writes_what_was_submitted_and_ends_the_thread():
    sink = MemorySink()
    writer = ResultWriter(sink, clock=FakeClock(T0), flush_every_s=QUIET_S)
    writer.start()
    assert writer.running
    results = results_every_minute(3)
    for result in results:
        writer.submit(result)
    writer.stop(timeout=5)
    assert sink.results == results
    assert not writer.running


def test_the_error_message_names_the_failure_without_sql_or_parameters():
    sink = MemorySink()
    sink.down = True
    writer = ResultWriter(sink, clock=FakeClock(T0))
    writer.submit(make_result())
    writer.flush()
    assert writer.last_error.startswith("ConnectionRefusedError: connection to server")
    assert "INSERT" not in writer.last_error


@pytest.mark.parametrize(("batch_size", "buffer_max"), [(0, 10), (11, 10)])
def test_a_batch_must_fit_in_the_buffer(batch_size, buffer_max):
    with pytest.raises(ValueError, match="batch_size"):
        ResultWriter(
            MemorySink(), clock=FakeClock(T0), batch_size=batch_size, buffer_max=buffer_max
        )
