"""Reproduce a trial's allocation sequence from the seed the trial manager kept, for the
statistician: `manage.py trial_sequence --trial SLUG --seed HEX [--verify] [--out FILE]`.

A seed whose digest does not match the trial's is refused. The sequence is written as CSV
(stratum, position, block, block_size, arm); `--verify` compares it with the sealed sequence
stored at the opening of recruitment and exits 1 on any difference. Every use is audited.
"""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand, CommandError

from core.services import audit_record
from trials import sequence, strata
from trials.models import SequenceSlot, Trial
from trials.services.setup import _arms_for_sequence, sealed_arm, seed_matches

FIELDS = ("stratum", "position", "block", "block_size", "arm")


class Command(BaseCommand):
    help = "Reproduce (and optionally verify) a trial's allocation sequence from its seed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--trial", required=True, help="The trial's short name (slug).")
        parser.add_argument("--seed", required=True, help="The seed shown when recruitment opened.")
        parser.add_argument("--out", help="Write the CSV to this file instead of the screen.")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Compare with the sealed sequence stored when recruitment opened.",
        )

    def handle(self, *args, **options) -> None:
        trial = Trial.objects.filter(slug=options["trial"]).first()
        if trial is None:
            raise CommandError("No trial has this short name.")
        seed = options["seed"].strip().lower()
        if not sequence.seed_valid(seed) or not seed_matches(trial=trial, seed=seed):
            raise CommandError("This seed is not the seed of this trial's sequence.")
        slots = list(
            sequence.sequence_generate(
                seed=seed,
                trial_slug=trial.slug,
                strata=strata.strata_of(trial.strata_factors),
                arms=_arms_for_sequence(trial),
                block_multiples=trial.block_multiples,
                length=trial.recruitment_target,
            )
        )
        audit_record(
            actor=None,
            action="trial.sequence_revealed",
            target=trial,
            detail={"trial": trial.pk, "verify": bool(options["verify"]), "slots": len(slots)},
        )
        out = open(options["out"], "w", newline="") if options["out"] else None  # noqa: SIM115
        try:
            writer = csv.writer(out or self.stdout, lineterminator="\n")
            writer.writerow(FIELDS)
            for slot in slots:
                writer.writerow([getattr(slot, name) for name in FIELDS])
        finally:
            if out is not None:
                out.close()
        if options["verify"]:
            self._verify(trial, slots)

    def _verify(self, trial: Trial, slots: list[sequence.Slot]) -> None:
        stored = {
            (slot.stratum, slot.position): (slot.block, slot.block_size, sealed_arm(slot))
            for slot in SequenceSlot.objects.filter(trial=trial).iterator(chunk_size=2000)
        }
        generated = {
            (slot.stratum, slot.position): (slot.block, slot.block_size, slot.arm) for slot in slots
        }
        if stored == generated:
            self.stderr.write(f"OK: the stored sequence matches ({len(stored)} positions).")
            return
        differ = sum(
            1 for key in stored.keys() | generated.keys() if stored.get(key) != generated.get(key)
        )
        raise CommandError(
            f"MISMATCH: {differ} positions differ from the stored sequence.", returncode=1
        )
