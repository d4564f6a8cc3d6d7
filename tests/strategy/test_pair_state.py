"""Exhaustive checks of the SPEC §3 transition table and the pause/clear rules."""

from __future__ import annotations

import itertools

import pytest

from arbcore.core.enums import PairState
from arbcore.core.errors import IllegalTransition
from arbcore.strategy.pair_state import TRANSITIONS, PairMachine, is_legal

P = PairState

SPEC_LEGAL = {
    (P.PAUSED, P.READY),
    (P.READY, P.PAUSED),
    (P.READY, P.ENTERING),
    (P.ENTERING, P.POSITION_OPEN),
    (P.ENTERING, P.READY),
    (P.ENTERING, P.PAUSED),
    (P.POSITION_OPEN, P.ENTERING),
    (P.POSITION_OPEN, P.EXITING),
    (P.EXITING, P.READY),
    (P.EXITING, P.PAUSED),
    (P.EXITING, P.POSITION_OPEN),
    (P.ERROR, P.PAUSED),
    (P.ERROR, P.POSITION_OPEN),
} | {(s, P.ERROR) for s in PairState if s is not P.ERROR}


def test_table_is_exactly_the_spec() -> None:
    assert set(TRANSITIONS) == SPEC_LEGAL


@pytest.mark.parametrize(("src", "dst"), sorted(itertools.product(PairState, PairState)))
def test_every_pair_of_states(src: PairState, dst: PairState) -> None:
    seen: list[tuple[PairState, PairState, str]] = []
    machine = PairMachine(pair_id=1, state=src, listeners=[lambda a, b, r: seen.append((a, b, r))])
    if (src, dst) in SPEC_LEGAL:
        assert is_legal(src, dst)
        machine.move(dst)
        assert machine.state is dst
        assert seen == [(src, dst, TRANSITIONS[(src, dst)])]
    else:
        assert not is_legal(src, dst)
        with pytest.raises(IllegalTransition, match=f"{src} -> {dst}"):
            machine.move(dst)
        assert machine.state is src and seen == []


def test_pause_with_position_stops_entries_only() -> None:
    m = PairMachine(pair_id=7)
    m.start()
    assert m.state is P.READY and m.may_enter
    m.move(P.ENTERING)
    m.move(P.POSITION_OPEN)
    m.pause()
    assert m.holds_position
    assert not m.may_enter
    m.move(P.EXITING)  # exits keep working while paused
    m.flat_again("take profit")
    assert m.state is P.PAUSED


def test_rollback_while_running_returns_to_ready() -> None:
    m = PairMachine(pair_id=2)
    m.start()
    m.move(P.ENTERING)
    m.flat_again("second leg rejected")
    assert m.state is P.READY


def test_error_blocks_entries_until_operator_clears() -> None:
    m = PairMachine(pair_id=3)
    m.start()
    m.move(P.ENTERING)
    m.move(P.ERROR, "leg could not be closed")
    assert not m.may_enter
    with pytest.raises(IllegalTransition):
        m.start()
    m.clear_error(holds_hedged_position=False)
    assert m.state is P.PAUSED and m.paused
    with pytest.raises(IllegalTransition, match="clear_error"):
        m.clear_error(holds_hedged_position=False)
