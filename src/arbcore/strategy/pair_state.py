"""The Pair state machine of SPEC §3 as an explicit transition table; illegal moves raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from arbcore.core.enums import PairState
from arbcore.core.errors import IllegalTransition

P = PairState

# (from, to) -> why. ERROR is reachable from every state (added below); leaving ERROR is
# the operator's `clear`, to the state that matches what the exchanges hold.
TRANSITIONS: dict[tuple[PairState, PairState], str] = {
    (P.PAUSED, P.READY): "start",
    (P.READY, P.PAUSED): "pause",
    (P.READY, P.ENTERING): "entry condition holds, slot free, pre-flight passed",
    (P.ENTERING, P.POSITION_OPEN): "all legs of the part filled and balanced",
    (P.ENTERING, P.READY): "part failed and was rolled back to flat",
    (P.ENTERING, P.PAUSED): "part rolled back to flat while paused",
    (P.POSITION_OPEN, P.ENTERING): "add a part (entry in parts or widening spread)",
    (P.POSITION_OPEN, P.EXITING): "take profit, stop loss, operator close or shutdown",
    (P.EXITING, P.READY): "flat on both exchanges",
    (P.EXITING, P.PAUSED): "flat on both exchanges, paused meanwhile",
    (P.EXITING, P.POSITION_OPEN): "exit part done, position remains (exit in parts)",
    (P.ERROR, P.PAUSED): "operator cleared ERROR; flat",
    (P.ERROR, P.POSITION_OPEN): "operator cleared ERROR; hedged position kept",
}
for _state in PairState:
    if _state is not P.ERROR:
        TRANSITIONS[(_state, P.ERROR)] = "cannot restore a hedged or flat state by itself"


def is_legal(src: PairState, dst: PairState) -> bool:
    return (src, dst) in TRANSITIONS


TransitionListener = Callable[[PairState, PairState, str], None]


@dataclass(slots=True)
class PairMachine:
    """State of one Pair plus the `paused` flag (pausing with a position stops entries only)."""

    pair_id: int
    state: PairState = P.PAUSED
    paused: bool = True
    listeners: list[TransitionListener] = field(default_factory=list)

    def move(self, dst: PairState, reason: str = "") -> None:
        src = self.state
        if not is_legal(src, dst):
            raise IllegalTransition(f"pair {self.pair_id}: {src} -> {dst} is not allowed")
        self.state = dst
        for listener in self.listeners:
            listener(src, dst, reason or TRANSITIONS[(src, dst)])

    @property
    def may_enter(self) -> bool:
        """New entries (first part or adds) are allowed only when not paused and not in ERROR."""
        return not self.paused and self.state in (P.READY, P.POSITION_OPEN)

    @property
    def holds_position(self) -> bool:
        return self.state in (P.ENTERING, P.POSITION_OPEN, P.EXITING)

    def start(self) -> None:
        if self.state is P.ERROR:
            raise IllegalTransition(f"pair {self.pair_id}: in ERROR; an operator must clear it")
        self.paused = False
        if self.state is P.PAUSED:
            self.move(P.READY, "start")

    def pause(self) -> None:
        """Stop new entries; a held position keeps its exits and stop loss."""
        self.paused = True
        if self.state is P.READY:
            self.move(P.PAUSED, "pause")

    def flat_again(self, reason: str) -> None:
        """A part rolled back or the exit completed: READY, or PAUSED if paused meanwhile."""
        self.move(P.PAUSED if self.paused else P.READY, reason)

    def clear_error(self, *, holds_hedged_position: bool) -> None:
        """Operator action: leave ERROR once the exchanges are verified hedged or flat."""
        if self.state is not P.ERROR:
            raise IllegalTransition(f"pair {self.pair_id}: clear_error in {self.state}")
        self.paused = True
        self.move(P.POSITION_OPEN if holds_hedged_position else P.PAUSED, "operator cleared")
