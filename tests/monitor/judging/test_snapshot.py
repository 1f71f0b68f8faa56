"""An engine saved and read back judges on exactly as the one that never stopped; bytes
that are not an engine's are refused, never run."""

import os
import pickle

import pytest

from monitor.config import StatusSettings
from monitor.judging.snapshot import SnapshotError, dump, load
from monitor.results import FailureClass, Outcome
from tests.monitor.synthetic import World, failing, fault, targets

MODELS = targets("anthropic/claude-opus-4-7", "anthropic/claude-sonnet-4-6", "openai/gpt-5")
OPUS = MODELS[0].id


def world() -> World:
    outage = failing(Outcome.HTTP_ERROR, FailureClass.INFRASTRUCTURE)
    flapping = fault([OPUS], 150, 320, outage, rate=0.7, up_down=(12, 6))
    return World(MODELS, faults=[flapping], noise=0.01)


def test_a_restored_engine_judges_on_exactly_as_the_one_that_never_stopped():
    settings = StatusSettings()
    never_stopped, restarted = world(), world()
    never_stopped.run(200)
    restarted.run(200)
    restarted.engine = load(dump(restarted.engine), settings)
    assert restarted.engine.settings is settings  # the config's, not a copy

    never_stopped.run(200, start=200)
    restarted.run(200, start=200)

    assert never_stopped.incidents()  # the story has incidents to compare
    assert restarted.changes == never_stopped.changes
    assert restarted.engine.history() == never_stopped.engine.history()
    assert restarted.incidents() == never_stopped.incidents()


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps(_Exploit()),
        pickle.dumps(os.getcwd),
        pickle.dumps({"not": "an engine"}),
        b"\x80\x05cmonitor.judging.snapshot\n_Reader\n)\x81.",  # this module's own classes
        b"not a pickle",
        b"",
    ],
    ids=[
        "calls-os-system",
        "names-a-function",
        "another-object",
        "snapshot-reader",
        "junk",
        "empty",
    ],
)
def test_bytes_that_are_not_an_engine_are_refused_and_never_run(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SnapshotError):
        load(data, StatusSettings())
    assert not (tmp_path / "pwned").exists()


def test_a_truncated_snapshot_is_refused():
    engine = world().run(30).engine
    data = dump(engine)
    with pytest.raises(SnapshotError, match="unreadable"):
        load(data[: len(data) // 2], StatusSettings())
