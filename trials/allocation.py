"""Allocation from the concealed sequence, as pure logic: the randomisation service and the
balance tests use the same rule (DESIGN.md: pure logic in its own module, tested in microseconds).

The rule: a participant of a stratum takes the first position of that stratum's sequence not yet
used, in position order; the arm is the one at that position. Nothing else decides the arm.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from trials import sequence


class SequenceExhausted(Exception):
    """Every position of the stratum's sequence is used: the trial manager must extend it."""

    def __init__(self, stratum: str) -> None:
        super().__init__(stratum)
        self.stratum = stratum


class _Positioned(Protocol):
    position: int


SlotT = TypeVar("SlotT", bound=_Positioned)


def slot_next(unused: Iterable[SlotT], *, stratum: str) -> SlotT:
    """The next position to allocate among a stratum's unused slots (the lowest position)."""
    found = min(unused, key=lambda slot: slot.position, default=None)
    if found is None:
        raise SequenceExhausted(stratum)
    return found


def arm_for_slot(arm_code: str, arms_by_code: dict) -> object:
    """The arm a slot names; a slot naming no arm of the trial is a corrupt sequence."""
    try:
        return arms_by_code[arm_code]
    except KeyError as exc:
        raise ValueError("The sequence names an arm this trial does not have.") from exc


@dataclass
class SequenceAllocator:
    """Allocates from a sequence generated in memory, stratum by stratum, with exactly the rule
    the service uses on the stored sequence: for simulations and the statistician's checks."""

    seed: str
    trial_slug: str
    arms: list[tuple[str, int]]
    block_multiples: tuple[int, ...] | list[int] = sequence.DEFAULT_BLOCK_MULTIPLES
    length: int = 1000
    _streams: dict[str, Iterator[sequence.Slot]] = field(default_factory=dict, repr=False)
    _pending: dict[str, list[sequence.Slot]] = field(default_factory=dict, repr=False)

    def _unused(self, stratum: str) -> list[sequence.Slot]:
        if stratum not in self._streams:
            self._streams[stratum] = sequence.stratum_slots(
                seed=self.seed,
                trial_slug=self.trial_slug,
                stratum=stratum,
                arms=self.arms,
                block_multiples=self.block_multiples,
                length=self.length,
            )
            self._pending[stratum] = []
        pending = self._pending[stratum]
        if not pending:
            nxt = next(self._streams[stratum], None)
            if nxt is not None:
                pending.append(nxt)
        return pending

    def allocate(self, stratum: str) -> sequence.Slot:
        pending = self._unused(stratum)
        slot = slot_next(pending, stratum=stratum)
        pending.remove(slot)
        return slot
