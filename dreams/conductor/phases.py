"""The display phases of a cycle: when each begins and how long it lasts.

Every cycle of either loop runs the source system's six phases in order. Their lengths
are relative weights (dream settings) scaled to the cycle's length, in whole
milliseconds that add up to the cycle exactly, so a display that follows them ends each
cycle as the next begins. Pure: no Django, no clock.
"""

from dataclasses import dataclass
from enum import StrEnum


class Phase(StrEnum):
    PERCEPTS = "PERCEPTS"
    SPOOL = "SPOOL"
    SIGILIN = "SIGILIN"
    SIGILHOLD = "SIGILHOLD"
    SIGILOUT = "SIGILOUT"
    RESET = "RESET"

    @property
    def next(self) -> "Phase":
        order = list(Phase)
        return order[(order.index(self) + 1) % len(order)]


# The phase at whose start the cycle's sigil goes out (as in the source system).
SIGIL_PHASE = Phase.SIGILIN


@dataclass(frozen=True)
class PhaseSlot:
    phase: Phase
    offset_ms: int  # from the cycle's start
    duration_ms: int


def phase_timeline(cycle_ms: int, weights: tuple[int, ...]) -> tuple[PhaseSlot, ...]:
    """The six phases of a cycle of `cycle_ms`, each `weight / sum(weights)` of it.

    Rounding by largest remainder: every duration is within a millisecond of its exact
    share and the durations add up to `cycle_ms`.
    """
    if len(weights) != len(Phase):
        raise ValueError(f"A timeline has {len(Phase)} weights, one per phase.")
    if any(weight < 0 for weight in weights) or sum(weights) <= 0:
        raise ValueError("Phase weights are zero or more, and not all zero.")
    total = sum(weights)
    exact = [cycle_ms * weight / total for weight in weights]
    durations = [int(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - durations[i], reverse=True)
    for i in by_remainder[: cycle_ms - sum(durations)]:
        durations[i] += 1
    slots, offset = [], 0
    for phase, duration in zip(Phase, durations, strict=True):
        slots.append(PhaseSlot(phase, offset, duration))
        offset += duration
    return tuple(slots)
