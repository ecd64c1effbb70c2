import pytest

from seedvox.core.recording import InvalidTransition, Recording, Session, State, plan_recovery


def test_state_machine_walks_the_happy_path():
    rec = Recording("s1")
    for state in (State.STARTING, State.RECORDING, State.STOPPING, State.IDLE):
        rec.to(state)
    assert not rec.busy


def test_failed_start_returns_to_idle():
    rec = Recording("s1")
    rec.to(State.STARTING)
    rec.to(State.IDLE)
    assert rec.state is State.IDLE


@pytest.mark.parametrize(
    "path",
    [
        [State.RECORDING],
        [State.STARTING, State.STOPPING],
        [State.STARTING, State.RECORDING, State.IDLE],
    ],
)
def test_invalid_transitions_raise(path):
    rec = Recording("s1")
    with pytest.raises(InvalidTransition):
        for state in path:
            rec.to(state)


def session(name, count=3, size=3000, last_at=2950.0):
    return Session.from_record(
        {
            "session": name,
            "mime": "audio/webm",
            "started": 1_795_000_000_000,
            "count": count,
            "size": size,
            "lastAt": last_at,
        }
    )


def test_recovery_skips_sessions_still_recording_and_drops_empty_ones():
    recover, drop = plan_recovery(
        [session("aa"), session("bb"), session("cc", count=0, size=0)], active={"bb"}
    )
    assert [(name, memo.id) for name, memo in recover] == [("aa", "aa")]
    assert drop == ["cc"]


def test_recovered_memo_is_marked_and_timed_by_its_last_chunk():
    [(_, memo)], _ = plan_recovery([session("aa", last_at=2950.0)], active=set())
    assert memo.recovered
    assert memo.duration == pytest.approx(2.95)
    assert memo.created == 1_795_000_000_000
