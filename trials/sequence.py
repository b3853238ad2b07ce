"""The concealed allocation sequence: stratified permuted blocks of varying size, generated from
a seed so that the statistician can reproduce it exactly, and stored sealed (encrypted) so that
nobody who enrols can read or predict it.

The algorithm, so that it can be re-implemented anywhere (docs/trial.md):

1. The seed is a hex string; its bytes are the key of HMAC-SHA256.
2. Each stratum has its own stream of random bytes: HMAC(seed, "<trial slug>|<stratum>|<n>") for
   n = 0, 1, 2, ... concatenated. Numbers are drawn from it four bytes at a time (big-endian
   unsigned 32-bit); a number below `bound` is drawn by rejection sampling (draws at or above
   the largest multiple of `bound` under 2**32 are discarded).
3. The arms are taken in their order (Arm.order, then code); each has a ratio. A block's
   multiple k is drawn from the trial's block multiples (uniform choice), and the block holds
   k x ratio copies of each arm's code, shuffled by Fisher-Yates (for i from the last index
   down to 1, swap i with a number drawn below i + 1).
4. Blocks follow each other until the stratum holds at least `length` allocations.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

DEFAULT_BLOCK_MULTIPLES = (1, 2, 3)


@dataclass(frozen=True)
class Slot:
    stratum: str
    position: int  # 1-based within the stratum
    block: int  # 1-based within the stratum
    block_size: int
    arm: str  # the arm's code


def seed_new() -> str:
    return secrets.token_hex(16)


def seed_digest(seed: str) -> str:
    return hashlib.sha256(seed.strip().lower().encode()).hexdigest()


def seed_valid(seed: str) -> bool:
    seed = seed.strip()
    if len(seed) < 16 or len(seed) % 2:
        return False
    try:
        bytes.fromhex(seed)
    except ValueError:
        return False
    return True


class _Stream:
    def __init__(self, seed: str, label: str) -> None:
        self._key = bytes.fromhex(seed.strip().lower())
        self._label = label
        self._counter = 0
        self._buffer = b""

    def _bytes(self, count: int) -> bytes:
        while len(self._buffer) < count:
            message = f"{self._label}|{self._counter}".encode()
            self._buffer += hmac.new(self._key, message, hashlib.sha256).digest()
            self._counter += 1
        taken, self._buffer = self._buffer[:count], self._buffer[count:]
        return taken

    def below(self, bound: int) -> int:
        limit = (2**32 // bound) * bound
        while True:
            value = int.from_bytes(self._bytes(4), "big")
            if value < limit:
                return value % bound


def stratum_slots(
    *,
    seed: str,
    trial_slug: str,
    stratum: str,
    arms: list[tuple[str, int]],
    block_multiples: tuple[int, ...] | list[int],
    length: int,
) -> Iterator[Slot]:
    """The sequence of one stratum: `arms` as (code, ratio) in order."""
    stream = _Stream(seed, f"{trial_slug}|{stratum}")
    multiples = list(block_multiples) or list(DEFAULT_BLOCK_MULTIPLES)
    position, block = 0, 0
    while position < length:
        block += 1
        multiple = multiples[stream.below(len(multiples))]
        codes = [code for code, ratio in arms for _ in range(multiple * ratio)]
        for i in range(len(codes) - 1, 0, -1):
            j = stream.below(i + 1)
            codes[i], codes[j] = codes[j], codes[i]
        for code in codes:
            position += 1
            yield Slot(stratum, position, block, len(codes), code)


def sequence_generate(
    *,
    seed: str,
    trial_slug: str,
    strata: list[str],
    arms: list[tuple[str, int]],
    block_multiples: tuple[int, ...] | list[int],
    length: int,
) -> Iterator[Slot]:
    """The whole sequence: every stratum's, in the order of `strata`."""
    for stratum in strata:
        yield from stratum_slots(
            seed=seed,
            trial_slug=trial_slug,
            stratum=stratum,
            arms=arms,
            block_multiples=block_multiples,
            length=length,
        )
