"""National-scale data for the page benchmarks: a realistic deployment's two years, with COPY.

    .venv/bin/python bench/generate.py                      (scale 1: 20,000 patients)
    .venv/bin/python bench/generate.py --scale 0.05         (a quick run: 1,000 patients)

What it does, from a clean checkout, on the local PostgreSQL:

1. Drops and recreates its own database (`exhale_bench_web` by default), migrates it with
   `manage.py migrate`: nothing else is touched.
2. Fills it with psycopg's `COPY` (not the ORM), in the order a live deployment would have written
   each table (by time, so that a patient's rows are spread over the table as in production):
   at scale 1, 20,000 patients (users, profiles, each with a named and a backup clinician and a
   peer specialist), 200 clinicians, 50 peer specialists and an admin (staff with TOTP), who
   joined over two years; each patient's onboarding (journey, steps, programme consent, "About
   you"), quit plan, safety plan and check-in schedule; two years of daily check-ins (patients
   check in on most days from the day after they join until they stop using Exhale: several
   million rows), cravings, CO readings, medications, reminders; 400 moderated peer groups with
   memberships and pseudonyms; 1,000,000 posts (threads and replies, some held, rejected or
   removed, reactions, reports, moderation actions) with bodies encrypted by the product's own
   `core.crypto`; 1:1 messages; 50,000 safety flags with their signals, events and recipients
   (the last days' still open); audit rows for staff reads and flag handling; and a recruiting
   trial (created and opened by the product's services: arms, follow-up points, the sealed
   sequence) with participants, screening log, consents, allocations from the sequence,
   follow-ups and adverse events.
   `--scale` multiplies every count (the two years stay two years).
3. Ends with VACUUM ANALYZE, prints the rows per table and the time taken, and writes the users
   `bench/web.py` logs in as (a patient in a busy group, a clinician with a full caseload and open
   flags, a peer specialist who moderates that group, the trial's manager), their password and the
   staff's TOTP secrets, and the field-encryption key the data was written with, to
   var/bench/generate.json (var/ is not in git; the key and password are for this data only).

Empty encrypted fields (most posts' screening evidence, most check-in notes) share one token for
"": the product's fan-out does the same with a template's body (core/bulk.py); every text that
says something (post bodies, messages, notes, safety plans) is encrypted on its own.
While filling, foreign-key triggers are off (`session_replication_role = replica`): the rows are
consistent by construction; `--checked` keeps them on (slower) to prove it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import secrets
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench._common import (  # noqa: E402
    DEFAULT_POSTGRES,
    database_reset,
    database_url,
    say,
    versions,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every count")
    parser.add_argument("--database", default="exhale_bench_web")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server, no database name")
    parser.add_argument("--seed", type=int, default=10, help="random seed of the data")
    parser.add_argument(
        "--checked", action="store_true", help="keep foreign-key triggers on while filling"
    )
    parser.add_argument("--output", default=str(BASE_DIR / "var" / "bench" / "generate.json"))
    return parser.parse_args()


ARGS = parse_args()
DSN = database_url(ARGS.postgres, ARGS.database)
FIELD_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
PASSWORD = "bench-" + secrets.token_urlsafe(12)

# Everything the product reads from the environment, for this process and `migrate` alike; set
# explicitly so a developer's .env cannot redirect the run. No Redis: the few services called
# here (the trial's set-up) use the file cache in var/bench-generate.
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "EXHALE_VAR_DIR": "var/bench-generate",
        "DATABASE_URL": DSN,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
)
for _name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL"):
    os.environ.pop(_name, None)

import psycopg  # noqa: E402

# --- sizes --------------------------------------------------------------------------------------

SCALE = ARGS.scale
N_PATIENTS = max(40, round(20_000 * SCALE))
N_CLINICIANS = max(2, round(200 * SCALE))
N_PEERS = max(2, round(50 * SCALE))
N_GROUPS = max(2, round(400 * SCALE))
N_POSTS = max(200, round(1_000_000 * SCALE))
N_FLAGS = max(50, round(50_000 * SCALE))
DAYS = 730  # two years, whatever the scale
LONDON = ZoneInfo("Europe/London")
COUNTS: dict[str, int] = defaultdict(int)

FIRST = (
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Robin",
    "Jamie",
    "Morgan",
    "Casey",
    "Taylor",
    "Jordan",
    "Riley",
    "Charlie",
    "Ashley",
    "Dani",
    "Bea",
    "Kim",
    "Lee",
    "Pat",
    "Ray",
    "Max",
    "Nat",
    "Toni",
    "Mel",
    "Jess",
    "Ali",
    "Ravi",
    "Priya",
    "Tom",
    "Anna",
    "Owen",
    "Zara",
    "Leo",
    "Ruth",
    "Ian",
)
LAST = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Walsh",
    "Khan",
    "Evans",
    "Thomas",
    "Roberts",
    "Okafor",
    "Hughes",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Lewis",
    "Young",
    "Baker",
    "Hill",
    "Ward",
    "Begum",
)
ADJECTIVES = (
    "Quiet",
    "Brave",
    "Steady",
    "Bright",
    "Calm",
    "Gentle",
    "Kind",
    "Bold",
    "Swift",
    "Warm",
    "Clear",
    "Green",
    "Blue",
    "Silver",
    "Early",
)
NOUNS = (
    "Heron",
    "Fox",
    "Otter",
    "Willow",
    "River",
    "Robin",
    "Oak",
    "Maple",
    "Finch",
    "Hare",
    "Wren",
    "Cedar",
    "Badger",
    "Lark",
)
SENTENCES = (
    "Day three without a cigarette.",
    "The walk after tea really helped tonight.",
    "Cravings were strong this morning, the patch took the edge off.",
    "Anyone else find the evenings hardest?",
    "Tea and a podcast works for me when I want one.",
    "My care coordinator said the gum is fine with my medication.",
    "I slipped yesterday but I am back on track today.",
    "Two weeks now. Saving for a new coat with the money.",
    "Sleep is all over the place since I stopped.",
    "Thank you all for the kind words last week.",
    "What do people do on breaks at work when everyone smokes?",
    "The lozenges taste odd but they work.",
    "Feeling proud of myself for the first time in a while.",
    "Went to the group at the library, it was good to meet people.",
    "I keep a glass of water by the door for when I want to go out for one.",
    "Bad day, but I did not smoke.",
    "My sister stopped too, we text each other every night.",
    "The app reminder at seven is the nudge I need.",
    "Breathing is easier on the stairs already.",
    "Does the craving at waking ever go away?",
)
CATEGORIES = (
    # category, weight, source, severity, rank, summary
    ("low_mood", 36, "checkin", "medium", 2, "Mood much lower than their usual"),
    ("nonresponse", 22, "missed_checkin", "medium", 2, "Three check-ins missed in a row"),
    ("deterioration", 10, "deterioration", "high", 3, "Mood and sleep worse over a week"),
    ("crisis", 5, "checkin", "critical", 4, "Said yes to thoughts of harming themselves"),
    ("personal_info", 12, "post", "low", 1, "Shared a phone number in a group"),
    ("harmful_advice", 5, "post", "medium", 2, "Advice in a post that could harm"),
    ("medication_review", 7, "medication_review", "medium", 2, "Quit date set: on clozapine"),
    ("abuse", 3, "post", "medium", 2, "Unkind words to another member"),
)
ACK_HOURS = {"critical": 1, "high": 4, "medium": 24, "low": 72}


@dataclass
class Patient:
    id: int
    index: int
    join_day: int  # day number (0 .. DAYS-1) of discharge and joining
    end_day: int  # last day they use Exhale
    adherence: float
    clinician: int
    backup: int
    peer: int
    per_day: int
    quit_day: int
    mood: int
    diagnosis: str
    groups: list[int] = field(default_factory=list)
    participant: bool = False


@dataclass
class World:
    today: date
    now: datetime
    start: datetime  # midnight UTC of day 0
    admin: int
    clinicians: list[int]
    peers: list[int]
    patients: list[Patient]
    group_members: dict[int, list[int]] = field(default_factory=dict)
    group_moderators: dict[int, list[int]] = field(default_factory=dict)
    totp: dict[int, str] = field(default_factory=dict)
    login_patient: Patient | None = None
    thread_id: int = 0


def day_date(world: World, day: int) -> date:
    return world.today - timedelta(days=DAYS - day)


def at(world: World, day: float, hour: float = 0.0) -> datetime:
    return world.start + timedelta(days=day, hours=hour)


def copy_rows(cur, table: str, columns: str, rows) -> int:
    """COPY rows (tuples in the order of `columns`, space-separated) into a table; returns how
    many."""
    names = ", ".join(f'"{c}"' for c in columns.split())
    written = 0
    with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    COUNTS[table] += written
    return written


def set_sequences(cur, *tables: str) -> None:
    for table in tables:
        cur.execute(
            # Table names from this script, not input.
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"coalesce(max(id), 0) + 1, false) FROM {table}"
        )


# --- people -------------------------------------------------------------------------------------


def people_make(rng: random.Random, now: datetime) -> World:
    today = now.astimezone(LONDON).date()
    start = datetime.combine(today - timedelta(days=DAYS), dtime.min, tzinfo=UTC)
    admin = 1
    clinicians = list(range(2, 2 + N_CLINICIANS))
    peers = list(range(clinicians[-1] + 1, clinicians[-1] + 1 + N_PEERS))
    first_patient = peers[-1] + 1
    patients = []
    diagnoses = ("psychosis", "bipolar", "depression", "other")
    for n in range(N_PATIENTS):
        join = rng.randrange(0, DAYS - 2)
        if rng.random() < 0.35:
            end = DAYS - 1  # still using Exhale
        else:
            end = min(DAYS - 1, join + 7 + int(rng.expovariate(1 / 200)))
        patients.append(
            Patient(
                id=first_patient + n,
                index=n,
                join_day=join,
                end_day=end,
                adherence=rng.uniform(0.55, 0.95),
                clinician=clinicians[n % N_CLINICIANS],
                backup=clinicians[(n + 1) % N_CLINICIANS],
                peer=peers[n % N_PEERS],
                per_day=rng.choice((5, 8, 10, 12, 15, 15, 20, 20, 20, 25, 30, 40)),
                quit_day=join + rng.randint(7, 21),
                mood=rng.randint(3, 8),
                diagnosis=diagnoses[rng.randrange(4)],
            )
        )
    world = World(
        today=today,
        now=now,
        start=start,
        admin=admin,
        clinicians=clinicians,
        peers=peers,
        patients=patients,
    )
    # The patient web.py logs in as: with Exhale since nearly two years ago, still checking in
    # (the longest history a page can have to sum), in the busiest group (group 0, below).
    login = patients[0]
    login.join_day, login.end_day, login.adherence, login.quit_day = 20, DAYS - 1, 0.9, 34
    world.login_patient = login
    return world


def groups_assign(rng: random.Random, world: World) -> None:
    """Each patient joins one group (a few groups are much busier than most), some a second."""
    weights = [1 / (g + 10) for g in range(N_GROUPS)]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    for patient in world.patients:
        first = rng.choices(range(N_GROUPS), cum_weights=cumulative)[0]
        patient.groups = [first]
        if rng.random() < 0.3:
            second = rng.choices(range(N_GROUPS), cum_weights=cumulative)[0]
            if second != first:
                patient.groups.append(second)
    world.login_patient.groups = [0]
    world.group_members = defaultdict(list)
    for patient in world.patients:
        for group in patient.groups:
            world.group_members[group].append(patient.id)
    for group in range(N_GROUPS):
        world.group_moderators[group] = [
            world.peers[group % N_PEERS],
            world.peers[(group + 1) % N_PEERS],
        ]


def users_fill(cur, world: World, password_hash: str, rng: random.Random) -> None:
    joined_staff = at(world, -30)

    def users():
        yield (
            world.admin,
            password_hash,
            "admin@bench.invalid",
            "Trial Manager",
            "",
            "admin",
            True,
            joined_staff,
            0,
        )
        for n, pk in enumerate(world.clinicians):
            name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}"
            yield (
                pk,
                password_hash,
                f"clinician{n}@bench.invalid",
                f"Dr {name}",
                "",
                "clinician",
                True,
                joined_staff,
                0,
            )
        for n, pk in enumerate(world.peers):
            name = f"{FIRST[(n + 7) % len(FIRST)]} {LAST[(n + 3) % len(LAST)]}"
            yield (
                pk,
                password_hash,
                f"peer{n}@bench.invalid",
                name,
                "",
                "peer",
                True,
                joined_staff,
                0,
            )
        for p in world.patients:
            name = f"{FIRST[rng.randrange(len(FIRST))]} {LAST[rng.randrange(len(LAST))]}"
            yield (
                p.id,
                password_hash,
                f"patient{p.index}@bench.invalid",
                name,
                "",
                "patient",
                True,
                at(world, p.join_day, 9),
                0,
            )

    copy_rows(
        cur,
        "accounts_user",
        "id password email full_name preferred_name role is_active date_joined session_generation",
        users(),
    )
    set_sequences(cur, "accounts_user")
    cur.execute(
        'INSERT INTO account_emailaddress (user_id, email, verified, "primary") '
        "SELECT id, email, true, true FROM accounts_user"
    )
    COUNTS["account_emailaddress"] += cur.rowcount
    staff = [world.admin, *world.clinicians, *world.peers]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for pk in staff:
        world.totp[pk] = "".join(secrets.choice(alphabet) for _ in range(32))
    copy_rows(
        cur,
        "mfa_authenticator",
        "user_id type data created_at",
        ((pk, "totp", json.dumps({"secret": world.totp[pk]}), joined_staff) for pk in staff),
    )
    copy_rows(
        cur,
        "accounts_patientprofile",
        (
            "user_id clinician_id backup_clinician_id peer_specialist_id discharged_on time_zone "
            "programme_status created_at updated_at"
        ),
        (
            (
                p.id,
                p.clinician,
                p.backup,
                p.peer,
                day_date(world, p.join_day),
                "Europe/London",
                "active",
                at(world, p.join_day, 9),
                at(world, p.join_day, 9),
            )
            for p in world.patients
        ),
    )


# --- onboarding, plans, schedules ---------------------------------------------------------------

STEPS = ("welcome", "privacy", "consent", "about_you", "safety_plan", "quit_plan", "tour", "groups")


def onboarding_fill(cur, world: World, rng: random.Random, empty: str) -> dict[int, int]:
    from core.crypto import encrypt

    cur.execute(
        "SELECT key, id FROM onboarding_contentversion WHERE version = 1 "
        "AND key IN ('consent_programme', 'consent_trial')"
    )
    texts = dict(cur.fetchall())
    copy_rows(
        cur,
        "onboarding_journey",
        "patient_id started_at finished_at current_step last_activity_at reminders_sent",
        (
            (
                p.id,
                at(world, p.join_day, 10),
                at(world, p.join_day, 11),
                "",
                at(world, p.join_day, 11),
                0,
            )
            for p in world.patients
        ),
    )

    def steps():
        for p in world.patients:
            for n, step in enumerate(STEPS):
                seen = at(world, p.join_day, 10 + n / 8)
                yield (p.id, step, seen, seen + timedelta(minutes=5), p.id, 1, "{}")

    copy_rows(
        cur,
        "onboarding_steprecord",
        "journey_id step first_seen_at completed_at completed_by_id times_completed detail",
        steps(),
    )
    consent_ids = {p.id: n for n, p in enumerate(world.patients, start=1)}
    copy_rows(
        cur,
        "onboarding_consent",
        "id patient_id kind text_id given_at withdrawal_reason",
        (
            (
                consent_ids[p.id],
                p.id,
                "programme",
                texts["consent_programme"],
                at(world, p.join_day, 10.3),
                "",
            )
            for p in world.patients
        ),
    )
    attempts = ("0", "1", "2-4", "5+")
    motivations = ("someday", "soon", "now", "now")
    ttf = ("5", "30", "60", "61")

    def hsi(per_day: int, first: str) -> int:
        band = 0 if per_day <= 10 else 1 if per_day <= 20 else 2 if per_day <= 30 else 3
        return band + {"5": 3, "30": 2, "60": 1, "61": 0}[first]

    first_of = {p.id: ttf[p.index % 4] for p in world.patients}
    copy_rows(
        cur,
        "onboarding_baseline",
        (
            "patient_id age_started per_day time_to_first hsi_score quit_attempts motivation vapes "
            "medicines support_wanted mood recorded_at recorded_by_id updated_at"
        ),
        (
            (
                p.id,
                rng.randint(12, 25),
                p.per_day,
                first_of[p.id],
                hsi(p.per_day, first_of[p.id]),
                attempts[p.index % 4],
                motivations[p.index % 4],
                p.index % 5 == 0,
                "[]",
                '["group", "reminders"]',
                p.mood,
                at(world, p.join_day, 10.5),
                p.id,
                at(world, p.join_day, 10.5),
            )
            for p in world.patients
        ),
    )
    copy_rows(
        cur,
        "cessation_quitplan",
        (
            "patient_id quit_date product per_day pack_price pack_size time_to_first supports "
            "triggers triggers_other reasons medication_review_state created_at updated_at"
        ),
        (
            (
                p.id,
                day_date(world, p.quit_day),
                "cigarettes",
                p.per_day,
                "15.20",
                20,
                first_of[p.id],
                '[{"kind": "patch", "dose": "21 mg"}]',
                '["stress", "coffee"]',
                empty,
                encrypt("For my kids, and to breathe on the stairs."),
                "none",
                at(world, p.join_day, 10.7),
                at(world, p.join_day, 10.7),
            )
            for p in world.patients
        ),
    )
    copy_rows(
        cur,
        "safety_safetyplan",
        (
            "patient_id warning_signs coping_strategies distractions people_to_ask professionals "
            "safe_environment reasons_to_live updated_at updated_by_id"
        ),
        (
            (
                p.id,
                encrypt("Not sleeping. Smoking one after another."),
                encrypt("Music in my headphones. A bath."),
                empty,
                empty,
                encrypt("My care coordinator. The crisis line at night."),
                empty,
                empty,
                at(world, p.join_day, 10.6),
                p.id,
            )
            for p in world.patients
        ),
    )
    tomorrow_7pm = datetime.combine(world.today + timedelta(days=1), dtime(19), tzinfo=LONDON)
    copy_rows(
        cur,
        "cessation_checkinschedule",
        (
            "patient_id frequency times early_times quiet_start quiet_end is_active paused_for "
            "next_due_at missed_in_row created_at updated_at"
        ),
        (
            (
                p.id,
                "daily",
                '["19:00"]',
                "[]",
                "22:00",
                "08:00",
                p.end_day == DAYS - 1,
                "",
                tomorrow_7pm,
                0,
                at(world, p.join_day, 10.8),
                at(world, p.join_day, 10.8),
            )
            for p in world.patients
        ),
    )
    medicines = ("Clozapine", "Olanzapine", "Sertraline", "Lithium", "Aripiprazole")
    copy_rows(
        cur,
        "cessation_medication",
        "patient_id name dose recorded_by_id created_at updated_at",
        (
            (
                p.id,
                medicines[p.index % 5],
                "100 mg",
                p.clinician,
                at(world, p.join_day, 9),
                at(world, p.join_day, 9),
            )
            for p in world.patients
            if p.index % 3 == 0
        ),
    )
    return consent_ids


# --- check-ins, cravings, CO readings, reminders ------------------------------------------------


def checkins_fill(cur, world: World, rng: random.Random, empty: str) -> None:
    """Day by day, as they would have been written: everyone active that day, most of them."""
    from core.crypto import encrypt

    starting = defaultdict(list)
    for p in world.patients:
        starting[p.join_day + 1].append(p)
    sleeps = ("well", "ok", "ok", "poorly", "hardly")
    supports = ('["patch"]', '["patch", "gum"]', "[]", '["ecigarette"]', '["lozenge"]')
    notes = (
        "Hard evening, went for a walk instead.",
        "Argument at home, wanted one badly.",
        "Good day. Proud.",
    )
    cravings: list[tuple] = []
    wheres = ("home", "out", "work", "transport", "other")

    def rows():
        active: list[Patient] = []
        for day in range(DAYS):
            active = [p for p in active if p.end_day >= day] + starting.get(day, [])
            the_day = day_date(world, day)
            stamps = [at(world, day, 18 + m / 60) for m in range(0, 180, 3)]
            for p in active:
                if rng.random() > p.adherence:
                    continue
                quit_days = day - p.quit_day
                if quit_days < 0:
                    cigarettes = max(0, p.per_day + rng.randint(-4, 4))
                elif rng.random() < (0.25 if quit_days < 30 else 0.08):
                    cigarettes = rng.randint(1, 6)
                else:
                    cigarettes = 0
                r = rng.random()
                harm = "yes" if r < 0.0005 else "not_say" if r < 0.005 else "no"
                note = encrypt(notes[p.index % 3]) if r > 0.98 else empty
                stamp = stamps[p.index % len(stamps)]
                yield (
                    p.id,
                    the_day,
                    cigarettes,
                    rng.randint(0, 10),
                    min(10, max(0, p.mood + rng.randint(-2, 2))),
                    sleeps[rng.randrange(5)],
                    supports[p.index % 5],
                    harm,
                    note,
                    stamp,
                    stamp,
                )
                if r < 0.12:
                    cravings.append(
                        (
                            p.id,
                            at(world, day, 8 + r * 100),
                            rng.randint(3, 10),
                            wheres[rng.randrange(5)],
                            "alone",
                            "bored",
                            p.mood,
                            r < 0.03,
                        )
                    )

    copy_rows(
        cur,
        "cessation_checkin",
        (
            "patient_id day cigarettes craving mood sleep supports_used harm_thoughts note "
            "created_at updated_at"
        ),
        rows(),
    )
    copy_rows(
        cur,
        "cessation_craving",
        "patient_id at intensity where with_whom doing mood smoked",
        cravings,
    )

    def readings():
        for p in world.patients:
            for offset in (28, 84):
                day = p.quit_day + offset
                if day <= min(p.end_day, DAYS - 1):
                    ppm = rng.choice((2, 3, 4, 5, 6, 8, 12, 18))
                    yield (p.id, day_date(world, day), ppm, False, p.clinician, at(world, day, 11))

    copy_rows(
        cur,
        "cessation_coreading",
        "patient_id taken_on ppm self_reported recorded_by_id created_at",
        readings(),
    )

    def reminders():
        for day in range(DAYS - 14, DAYS):
            for p in world.patients:
                if p.join_day < day <= p.end_day:
                    sent = at(world, day, 19)
                    read = sent + timedelta(minutes=40) if day < DAYS - 1 else None
                    yield (
                        p.id,
                        "checkin_reminder",
                        "Time for today's check-in",
                        empty,
                        "/check-in/",
                        False,
                        sent,
                        read,
                    )

    copy_rows(
        cur,
        "core_notification",
        "recipient_id kind title body url urgent created_at read_at",
        reminders(),
    )


# --- peer groups --------------------------------------------------------------------------------


def groups_fill(cur, world: World, rng: random.Random, empty: str) -> None:
    from core.crypto import encrypt
    from peersupport.pseudonyms import canonical
    from peersupport.services import GUIDELINES_VERSION, NEW_MEMBER_REASON

    created = at(world, -1)
    months = sorted({day_date(world, d).replace(day=1) for d in range(0, DAYS, 28)})

    def groups():
        for g in range(N_GROUPS):
            if g % 10 == 9:
                month = months[g // 10 % len(months)]
                yield (
                    g + 1,
                    f"Joined in {month:%B %Y} ({g + 1})",
                    f"cohort-{g + 1}",
                    "cohort",
                    "People who joined Exhale in the same month.",
                    month,
                    True,
                    created,
                )
            else:
                topic = (
                    "First weeks",
                    "Staying stopped",
                    "Evenings",
                    "Vaping to quit",
                    "Voices and smoking",
                    "Work and breaks",
                )[g % 6]
                yield (
                    g + 1,
                    f"{topic} ({g + 1})",
                    f"group-{g + 1}",
                    "topic",
                    "A place to share how it is going.",
                    None,
                    True,
                    created,
                )

    copy_rows(
        cur,
        "peersupport_peergroup",
        "id name slug kind description cohort_month is_open created_at",
        groups(),
    )
    copy_rows(
        cur,
        "peersupport_peergroup_moderators",
        "peergroup_id user_id",
        ((g + 1, peer) for g, peers in world.group_moderators.items() for peer in peers),
    )
    set_sequences(cur, "peersupport_peergroup")

    def members():
        for p in world.patients:
            name = (
                f"{ADJECTIVES[p.index % len(ADJECTIVES)]} "
                f"{NOUNS[(p.index // len(ADJECTIVES)) % len(NOUNS)]} {p.index}"
            )
            joined = at(world, p.join_day, 11)
            yield (p.id, name, canonical(name), GUIDELINES_VERSION, joined, joined, joined)

    copy_rows(
        cur,
        "peersupport_peermember",
        (
            "user_id pseudonym canonical_pseudonym guidelines_version guidelines_accepted_at "
            "created_at updated_at"
        ),
        members(),
    )
    copy_rows(
        cur,
        "peersupport_membership",
        "group_id member_id joined_at",
        ((g + 1, p.id, at(world, p.join_day + 1, 9)) for p in world.patients for g in p.groups),
    )

    # Posts: each by a member of the group, at a time while they used Exhale; written in time
    # order (ids grow with time, as in production), threads and replies decided in that order.
    # A reply goes to one of the group's 30 latest threads, chosen by each thread's appeal
    # (Pareto-distributed: most threads get a few replies, a few get a page or more).
    memberships = [(g, p) for p in world.patients for g in p.groups]
    now_s = (world.now - world.start).total_seconds()
    stamps = []
    for _ in range(N_POSTS):
        g, p = memberships[rng.randrange(len(memberships))]
        first = (p.join_day + 1.5) * 86400
        last = min(now_s - 600, (p.end_day + 1) * 86400)
        stamps.append((rng.uniform(first, max(first, last)), g, p.id))
    stamps.sort()
    posts = len(stamps)
    first_id = N_GROUPS + 1  # ids 1..N_GROUPS are the groups' welcome posts
    parent = [0] * posts
    status = [""] * posts
    recent: dict[int, deque] = defaultdict(lambda: deque(maxlen=30))
    first_reply: dict[int, float] = {}
    replies = defaultdict(int)
    author_of: dict[int, int] = {}
    appeal: dict[int, float] = {}
    busiest_group_threads = []
    for n, (t, g, author) in enumerate(stamps):
        pk = first_id + n
        author_of[pk] = author
        threads = recent[g]
        if not threads or rng.random() < 0.2:
            threads.append(pk)
            appeal[pk] = rng.paretovariate(1.2)
            if g == 0:
                busiest_group_threads.append(pk)
        else:
            parent[n] = rng.choices(threads, weights=[appeal[k] for k in threads])[0]
        r = rng.random()
        if now_s - t < 3 * 86400 and r < 0.03:
            status[n] = "held"
        elif r < 0.01:
            status[n] = "removed"
        elif r < 0.015:
            status[n] = "rejected"
        else:
            status[n] = "published"
            if parent[n] and author_of[parent[n]] != author:
                first_reply.setdefault(parent[n], t)
                replies[parent[n]] += 1
    # The thread web.py reads: the busiest group's published thread with the most replies.
    busy = [pk for pk in busiest_group_threads if status[pk - first_id] == "published"]
    world.thread_id = max(busy, key=lambda pk: replies[pk]) if busy else 0
    bodies = [
        " ".join(rng.sample(SENTENCES, rng.randint(1, 4))) for _ in range(3000)
    ]  # 30 to 250 characters
    reactions: list[tuple] = []
    reports: list[tuple] = []
    actions: list[tuple] = []
    kinds = ("heart", "strong", "clap", "hug")

    def when(seconds: float) -> datetime:
        return world.start + timedelta(seconds=seconds)

    def rows():
        for g in range(N_GROUPS):
            moderator = world.group_moderators[g][0]
            yield (
                g + 1,
                g + 1,
                moderator,
                None,
                encrypt("Welcome! Introduce yourself."),
                "published",
                "",
                "",
                "[]",
                empty,
                "",
                "welcome",
                True,
                False,
                None,
                None,
                created,
                created,
                None,
                None,
                empty,
                None,
                None,
                None,
            )
        for n, (t, g, author) in enumerate(stamps):
            pk = first_id + n
            state = status[n]
            created_at = when(t)
            moderator = world.group_moderators[g][n % 2]
            held_reason, action, categories, moderated_by, moderated_at = "", "", "[]", None, None
            if state in ("held", "rejected"):
                held_reason, action = NEW_MEMBER_REASON, "hold"
            if state in ("removed", "rejected"):
                moderated_by, moderated_at = moderator, created_at + timedelta(hours=2)
                actions.append(
                    (
                        g + 1,
                        pk,
                        author,
                        moderator,
                        "remove_post" if state == "removed" else "reject",
                        empty,
                        "{}",
                        moderated_at,
                    )
                )
            published = created_at if state in ("published", "removed") else None
            thread_reply = when(first_reply[pk]) if pk in first_reply else None
            nudged = (
                created_at + timedelta(days=1)
                if not parent[n] and thread_reply is None and now_s - t > 86400
                else None
            )
            yield (
                pk,
                g + 1,
                author,
                parent[n] or None,
                encrypt(bodies[n % len(bodies)]),
                state,
                held_reason,
                action,
                categories,
                empty,
                "",
                "member",
                False,
                False,
                None,
                None,
                created_at,
                published,
                moderated_by,
                moderated_at,
                empty,
                None,
                thread_reply,
                nudged,
            )
            if state == "published":
                r = rng.random()
                if r < 0.3:
                    members = world.group_members[g]
                    for member in {members[rng.randrange(len(members))] for _ in range(2)}:
                        if member != author:
                            reactions.append(
                                (
                                    pk,
                                    member,
                                    kinds[rng.randrange(4)],
                                    created_at + timedelta(hours=1),
                                )
                            )
                elif r > 0.998:
                    members = world.group_members[g]
                    reporter = members[rng.randrange(len(members))]
                    if reporter != author:
                        old = now_s - t > 2 * 86400
                        reports.append(
                            (
                                pk,
                                reporter,
                                "unkind",
                                empty,
                                created_at + timedelta(hours=1),
                                created_at + timedelta(hours=5) if old else None,
                                moderator if old else None,
                                "no_action" if old else "",
                            )
                        )

    copy_rows(
        cur,
        "peersupport_post",
        (
            "id group_id author_id parent_id body status held_reason screening_action "
            "screening_categories screening_evidence flag_ref kind is_pinned is_locked "
            "approved_by_id approved_on created_at published_at moderated_by_id moderated_at "
            "moderator_message edited_by_moderator_at first_reply_at nudged_at"
        ),
        rows(),
    )
    set_sequences(cur, "peersupport_post")
    copy_rows(
        cur,
        "peersupport_reaction",
        "post_id member_id kind created_at",
        reactions,
    )
    copy_rows(
        cur,
        "peersupport_report",
        "post_id reporter_id reason note created_at handled_at handled_by_id outcome",
        reports,
    )
    copy_rows(
        cur,
        "peersupport_moderationaction",
        "group_id post_id member_id actor_id action reason detail created_at",
        actions,
    )

    # 1:1 messages: one patient in five has written to their peer specialist, a few times.
    def conversations():
        for p in world.patients:
            if p.index % 5 == 0:
                began = at(world, p.join_day + 2, 14)
                yield (p.index + 1, p.id, p.peer, began, began + timedelta(days=4))

    copy_rows(
        cur,
        "peersupport_conversation",
        "id patient_id peer_id created_at last_message_at",
        conversations(),
    )
    set_sequences(cur, "peersupport_conversation")

    def messages():
        for p in world.patients:
            if p.index % 5 == 0:
                began = at(world, p.join_day + 2, 14)
                for k in range(4):
                    sender = p.id if k % 2 == 0 else p.peer
                    sent = began + timedelta(days=k)
                    yield (
                        p.index + 1,
                        sender,
                        encrypt(SENTENCES[(p.index + k) % len(SENTENCES)]),
                        sent,
                        sent + timedelta(hours=3),
                        "",
                        "[]",
                        "",
                        "",
                    )

    copy_rows(
        cur,
        "peersupport_peermessage",
        (
            "conversation_id sender_id body created_at read_at screening_action "
            "screening_categories screening_reason flag_ref"
        ),
        messages(),
    )


# --- flags and audit ----------------------------------------------------------------------------


def flags_fill(cur, world: World, rng: random.Random, empty: str) -> list[tuple]:
    """Flags over the two years; those of the last days still open or acknowledged (one active
    per patient and category, as the constraint says), the login clinician's caseload with a
    queue longer than a page. Returns (flag id, patient id, severity, created) for the trial."""
    weights = [c[1] for c in CATEGORIES]
    now_s = (world.now - world.start).total_seconds()
    raised = []
    for _ in range(N_FLAGS):
        p = world.patients[rng.randrange(len(world.patients))]
        first, last = (p.join_day + 1) * 86400, min(now_s - 3600, (p.end_day + 1) * 86400)
        raised.append(
            (rng.uniform(first, max(first, last)), p, rng.choices(CATEGORIES, weights)[0])
        )
    # The login clinician's caseload: open flags enough for two pages of the queue.
    caseload = [p for p in world.patients if p.clinician == world.clinicians[0]]
    for n in range(max(30, round(40 * min(SCALE, 1)))):
        p = caseload[n % len(caseload)]
        raised.append((now_s - rng.uniform(600, 2 * 86400), p, CATEGORIES[n % len(CATEGORIES)]))
    raised.sort(key=lambda item: item[0])
    active: set[tuple[int, str]] = set()
    flags, signals, events, recipients, audit, serious = [], [], [], [], [], []
    for pk, (t, p, (category, _w, source, severity, rank, summary)) in enumerate(raised, start=1):
        created = world.start + timedelta(seconds=t)
        age_h = (now_s - t) / 3600
        deadline = created + timedelta(hours=ACK_HOURS[severity])
        ack_at = ack_by = resolved_at = resolved_by = None
        outcome = ""
        if age_h < 48 and (p.id, category) not in active:
            active.add((p.id, category))
            state = "open" if age_h < 6 or rng.random() < 0.4 else "acknowledged"
        else:
            state = "resolved"
        if state != "open":
            # Acknowledged within minutes to hours, resolved within two days: never in the future.
            spare = max(60.0, now_s - t - 60)
            ack_at = created + timedelta(seconds=rng.uniform(60, min(spare, 36000)) / 2)
            ack_by = p.clinician
        if state == "resolved":
            resolved_at = ack_at + timedelta(seconds=rng.uniform(0, min(spare / 2, 144000)))
            resolved_by = p.clinician
            outcome = ("contacted_safe", "care_plan_changed", "not_a_concern")[pk % 3]
        updated = resolved_at or ack_at or created
        flags.append(
            (
                pk,
                p.id,
                source,
                "",
                category,
                severity,
                rank,
                summary,
                state,
                deadline,
                0,
                None,
                p.clinician,
                ack_at,
                ack_by,
                resolved_at,
                resolved_by,
                outcome,
                1,
                created,
                created,
                updated,
            )
        )
        signals.append((pk, created, source, "", severity, summary, empty, None))
        events.append((pk, created, "raised", None, empty, "{}"))
        events.append((pk, created + timedelta(seconds=20), "notified", None, empty, "{}"))
        recipients.append((pk, p.clinician, 0, created + timedelta(seconds=20)))
        audit.append((created, None, "system", "flag.raised", p.id, "safety.flag", str(pk)))
        if ack_at is not None:
            events.append((pk, ack_at, "acknowledged", p.clinician, empty, "{}"))
            audit.append(
                (
                    ack_at - timedelta(minutes=2),
                    p.clinician,
                    "clinician",
                    "flag.viewed",
                    p.id,
                    "safety.flag",
                    str(pk),
                )
            )
            audit.append(
                (
                    ack_at,
                    p.clinician,
                    "clinician",
                    "flag.acknowledged",
                    p.id,
                    "safety.flag",
                    str(pk),
                )
            )
        if resolved_at is not None:
            events.append((pk, resolved_at, "resolved", p.clinician, empty, "{}"))
            audit.append(
                (
                    resolved_at,
                    p.clinician,
                    "clinician",
                    "flag.resolved",
                    p.id,
                    "safety.flag",
                    str(pk),
                )
            )
        if severity in ("high", "critical"):
            serious.append((pk, p.id, category, created))
    copy_rows(
        cur,
        "safety_flag",
        (
            "id patient_id source source_ref category severity severity_rank summary status "
            "ack_deadline escalation_level escalated_at handled_by_id acknowledged_at "
            "acknowledged_by_id resolved_at resolved_by_id outcome signal_count last_signal_at "
            "created_at updated_at"
        ),
        flags,
    )
    set_sequences(cur, "safety_flag")
    copy_rows(
        cur,
        "safety_flagsignal",
        "flag_id at source source_ref severity summary evidence raised_by_id",
        signals,
    )
    events.sort(key=lambda e: e[1])
    copy_rows(
        cur,
        "safety_flagevent",
        "flag_id at kind actor_id note detail",
        events,
    )
    copy_rows(
        cur,
        "safety_flagrecipient",
        "flag_id user_id level notified_at",
        recipients,
    )
    # Staff reads of patients' records: each clinician opens each patient's page about once a
    # fortnight while they use Exhale (each read is audited, as the product does).
    for p in world.patients:
        day = p.join_day + rng.randint(1, 14)
        while day <= p.end_day:
            seen = at(world, day, rng.uniform(9, 17))
            audit.append((seen, p.clinician, "clinician", "patient.viewed", p.id, "", ""))
            day += rng.randint(7, 21)
    audit.sort(key=lambda row: row[0])
    copy_rows(
        cur,
        "core_auditevent",
        "at actor_id actor_role action subject_id target_type target_id detail",
        ((*row, "{}") for row in audit),
    )
    return serious


# --- the trial ----------------------------------------------------------------------------------


def trial_fill(
    cur,
    conn,
    world: World,
    rng: random.Random,
    serious: list[tuple],
    consent_ids: dict[int, int],
    empty: str,
) -> str:
    """The trial, created and opened by the product's services (arms, follow-up points, the
    sealed sequence), then its participants with COPY, allocated from that sequence in order."""
    import django

    django.setup()
    from accounts.models import User
    from core.crypto import decrypt
    from trials import pseudonyms, strata
    from trials.models import Trial
    from trials.services import setup

    conn.commit()  # the people above, visible to the ORM's connection
    candidates = [
        p
        for p in world.patients
        if p.join_day >= DAYS - 365 and p is not world.login_patient and p.index % 4 == 1
    ]
    admin = User.objects.get(pk=world.admin)
    trial = setup.trial_create(
        by=admin,
        name="Exhale feasibility trial",
        slug="bench-ft",
        recruitment_target=len(candidates) + 10,
    )
    setup.recruitment_open(trial=trial, by=admin)
    trial = Trial.objects.get(pk=trial.pk)
    from django.db import connections

    connections.close_all()
    opened = at(world, DAYS - 366)
    cur.execute(
        "UPDATE trials_trial SET created_at = %s, recruitment_opened_at = %s, "
        "sequence_generated_at = %s WHERE id = %s",
        (opened - timedelta(days=20), opened, opened, trial.pk),
    )
    cur.execute("SELECT code, id, gets_programme FROM trials_arm WHERE trial_id = %s", (trial.pk,))
    arms = {code: (pk, programme) for code, pk, programme in cur.fetchall()}
    cur.execute(
        "SELECT id, due_day, window_start_day, window_end_day, co_verified "
        "FROM trials_followuppoint WHERE trial_id = %s ORDER BY due_day",
        (trial.pk,),
    )
    points = cur.fetchall()
    cur.execute(
        "SELECT id, stratum, arm_sealed FROM trials_sequenceslot WHERE trial_id = %s "
        "ORDER BY stratum, position",
        (trial.pk,),
    )
    slots = defaultdict(deque)
    for pk, stratum, sealed in cur.fetchall():
        slots[stratum].append((pk, decrypt(sealed)))
    cur.execute(
        "SELECT id FROM onboarding_contentversion WHERE key = 'consent_trial' AND version = 1"
    )
    trial_text = cur.fetchone()[0]
    key = trial.pseudonym_key
    participants, screening, consents, allocations, withdrawals, followups = [], [], [], [], [], []
    participant_of: dict[int, tuple[int, datetime]] = {}
    next_consent = max(consent_ids.values()) + 1
    used: list[tuple[int, datetime]] = []
    candidates.sort(key=lambda p: p.join_day)
    for n, p in enumerate(candidates, start=1):
        enrolled = at(world, p.join_day, 12)
        consented = enrolled + timedelta(days=1)
        r = rng.random()
        state = "declined" if r < 0.04 else "withdrawn" if r < 0.08 else "randomised"
        screening.append((trial.pk, enrolled.date(), "enrolled", "", p.clinician, enrolled, p.id))
        consent = None
        if state != "declined":
            consent = next_consent
            next_consent += 1
            consents.append((consent, p.id, "trial", trial_text, consented, ""))
        participants.append(
            (
                n,
                trial.pk,
                p.id,
                pseudonyms.trial_id_for(key=key, patient_id=p.id),
                p.diagnosis,
                state,
                enrolled,
                p.clinician,
                consented if state == "declined" else None,
                None if state == "declined" else consented,
                consent,
                at(world, p.join_day + 60) if state == "withdrawn" else None,
            )
        )
        if state == "declined":
            continue
        p.participant = True
        stratum = strata.stratum_for(
            trial.strata_factors,
            SimpleNamespace(diagnosis_group=p.diagnosis),
            SimpleNamespace(per_day=p.per_day, hsi_score=None),
        )
        slot, arm_code = slots[stratum].popleft()
        allocated = consented + timedelta(hours=1)
        used.append((slot, allocated))
        arm_id, programme = arms[arm_code]
        allocations.append((n, arm_id, stratum, slot, allocated, p.clinician))
        participant_of[p.id] = (n, allocated)
        if not programme:
            cur.execute(
                "UPDATE cessation_checkinschedule SET paused_for = 'trial' WHERE patient_id = %s",
                (p.id,),
            )
        if state == "withdrawn":
            withdrawals.append((n, "follow_up", "patient", at(world, p.join_day + 60), p.id, ""))
        for point, due_day, opens, closes, co_verified in points:
            anchor = day_date(world, p.quit_day)
            due, open_on, close_on = (anchor + timedelta(days=d) for d in (due_day, opens, closes))
            row = [
                n,
                point,
                anchor,
                due,
                open_on,
                close_on,
                "scheduled",
                0,
                None,
                None,
                "",
                None,
                None,
                None,
                None,
                "",
                None,
                None,
                None,
            ]
            if state == "withdrawn" and p.join_day + 60 < DAYS - (world.today - open_on).days:
                row[6] = "stopped"
            elif close_on < world.today:
                row[6] = "completed" if rng.random() < 0.75 else "missed"
            elif open_on <= world.today:
                row[6] = "completed" if rng.random() < 0.4 else "open"
            if row[6] == "completed":
                answered_on = min(due, world.today - timedelta(days=1))
                answered = datetime.combine(answered_on, dtime(12), tzinfo=UTC)
                smoked = rng.choice(("none", "none", "up_to_5", "more"))
                row[10:16] = [
                    smoked,
                    smoked != "none",
                    0 if smoked == "none" else 4,
                    answered,
                    p.id,
                    "patient",
                ]
                if co_verified and rng.random() < 0.7:
                    row[16:19] = [rng.choice((3, 5, 7, 14)), answered_on, p.clinician]
            followups.append(tuple(row))
        # Everyone approached but not enrolled: counted with a reason, nothing identifying.
        if n % 2 == 0:
            screening.append(
                (
                    trial.pk,
                    enrolled.date(),
                    ("ineligible", "declined", "not_reached")[n % 3],
                    ("not_smoker", "not_interested", "")[n % 3],
                    p.clinician,
                    enrolled,
                    None,
                )
            )
    copy_rows(
        cur,
        "onboarding_consent",
        "id patient_id kind text_id given_at withdrawal_reason",
        consents,
    )
    set_sequences(cur, "onboarding_consent")
    copy_rows(
        cur,
        "trials_screeningentry",
        "trial_id screened_on outcome reason recorded_by_id recorded_at patient_id",
        screening,
    )
    copy_rows(
        cur,
        "trials_participant",
        (
            "id trial_id patient_id study_id diagnosis_group status enrolled_at enrolled_by_id "
            "declined_at consented_at consent_id withdrawn_at"
        ),
        participants,
    )
    set_sequences(cur, "trials_participant")
    copy_rows(
        cur,
        "trials_allocation",
        "participant_id arm_id stratum slot_id allocated_at allocated_by_id",
        allocations,
    )
    cur.execute(
        "UPDATE trials_sequenceslot s SET used_at = u.at FROM unnest(%s::bigint[], "
        "%s::timestamptz[]) AS u(id, at) WHERE s.id = u.id",
        ([slot for slot, _ in used], [when for _, when in used]),
    )
    copy_rows(
        cur,
        "trials_withdrawal",
        "participant_id level source at recorded_by_id reason",
        withdrawals,
    )
    copy_rows(
        cur,
        "trials_followup",
        (
            "participant_id point_id anchor_date due_on window_opens_on window_closes_on status "
            "reminders_sent last_reminder_at claimed_until smoked_since smoked_last_7_days "
            "cigarettes_per_day answered_at answered_by_id source co_ppm co_taken_on "
            "co_recorded_by_id"
        ),
        followups,
    )
    steps = [
        (
            p.id,
            "trial_consent",
            at(world, p.join_day, 12),
            at(world, p.join_day + 1, 12),
            p.id,
            1,
            "{}",
        )
        for p in candidates
    ]
    copy_rows(
        cur,
        "onboarding_steprecord",
        "journey_id step first_seen_at completed_at completed_by_id times_completed detail",
        steps,
    )
    events = []
    for flag, patient, category, created in serious:
        if patient in participant_of and created > participant_of[patient][1]:
            events.append(
                (
                    participant_of[patient][0],
                    "flag",
                    flag,
                    category,
                    created.date(),
                    None,
                    empty,
                    "not_assessed",
                    "not_assessed",
                    "not_assessed",
                    created,
                    created,
                )
            )
    copy_rows(
        cur,
        "trials_adverseevent",
        (
            "participant_id source flag_id category occurred_on reported_by_id description "
            "seriousness relatedness expectedness created_at updated_at"
        ),
        events,
    )
    return trial.slug


# --- main ---------------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows per table that has any, counted (the statistics only estimate), most first."""
    with psycopg.connect(DSN) as conn:
        tables = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_live_tup > 0"
        ).fetchall()
        counts = {
            # Names from the catalogue, not input.
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for (name,) in tables
        }
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def main() -> int:
    began = time.perf_counter()
    rng = random.Random(ARGS.seed)
    say(f"database {ARGS.database}: reset and migrate (scale {SCALE:g})")
    database_reset(ARGS.postgres, ARGS.database)
    migrated = time.perf_counter()
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    from core.crypto import encrypt

    empty = encrypt("")
    now = datetime.now(UTC).replace(microsecond=0)
    world = people_make(rng, now)
    groups_assign(rng, world)
    steps: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        steps[name] = round(time.perf_counter() - started, 1)
        say(f"  {name}: {steps[name]} s")

    with psycopg.connect(DSN) as conn, conn.cursor() as cur:
        if not ARGS.checked:
            cur.execute("SET session_replication_role = replica")
        t = time.perf_counter()
        users_fill(cur, world, make_password(PASSWORD), rng)
        step("users, profiles, second factors", t)
        t = time.perf_counter()
        consent_ids = onboarding_fill(cur, world, rng, empty)
        step("onboarding, plans, schedules", t)
        t = time.perf_counter()
        checkins_fill(cur, world, rng, empty)
        step("check-ins, cravings, CO readings, reminders", t)
        t = time.perf_counter()
        groups_fill(cur, world, rng, empty)
        step("groups, posts, reactions, messages", t)
        t = time.perf_counter()
        serious = flags_fill(cur, world, rng, empty)
        step("flags and audit", t)
        t = time.perf_counter()
        slug = trial_fill(cur, conn, world, rng, serious, consent_ids, empty)
        step("trial", t)
        conn.commit()
    filled = time.perf_counter()
    say("VACUUM ANALYZE")
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    vacuumed = time.perf_counter()
    counts = row_counts()
    login = world.login_patient
    clinician, peer = world.clinicians[0], world.group_moderators[0][0]
    report = {
        "database": ARGS.database,
        "scale": SCALE,
        "seed": ARGS.seed,
        "generated_at": now.isoformat(),
        "field_encryption_keys": FIELD_KEY,
        "password": PASSWORD,
        "users": {
            "patient": {
                "id": login.id,
                "email": f"patient{login.index}@bench.invalid",
                "group": "group-1",
                "thread": world.thread_id,
            },
            "clinician": {
                "id": clinician,
                "email": "clinician0@bench.invalid",
                "totp_secret": world.totp[clinician],
            },
            "peer": {
                "id": peer,
                "email": f"peer{world.peers.index(peer)}@bench.invalid",
                "totp_secret": world.totp[peer],
            },
            "admin": {
                "id": world.admin,
                "email": "admin@bench.invalid",
                "trial": slug,
                "totp_secret": world.totp[world.admin],
            },
        },
        "rows": counts,
        "seconds": {
            "migrate": round(migrated - began, 1),
            **steps,
            "vacuum_analyze": round(vacuumed - filled, 1),
            "total": round(vacuumed - began, 1),
        },
        "versions": versions(DSN),
    }
    output = Path(ARGS.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    output.chmod(0o600)
    print()
    width = max(len(name) for name in counts)
    print(f"{'table':<{width}}  {'rows':>10}")
    for name, rows in counts.items():
        print(f"{name:<{width}}  {rows:>10,}")
    print(f"{'all tables':<{width}}  {sum(counts.values()):>10,}")
    print()
    seconds = report["seconds"]
    say(
        f"done in {seconds['total']:.0f} s (migrate {seconds['migrate']:.0f} s, "
        f"fill {filled - migrated:.0f} s, VACUUM ANALYZE {vacuumed - filled:.0f} s). "
        f"Login users and the data's key: {output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
