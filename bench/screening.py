"""Benchmark of the text-screening engine (safety.screening), run by hand, never in the tests.

    .venv/bin/python bench/screening.py [--posts 20000] [--seed 7]

Generates a corpus of realistic peer-group posts (20-400 characters: ordinary posts, smoking
idioms, personal information, harmful advice, abuse and some crisis), screens each one, and
reports posts per second and per-post median, p95 and p99. Beside it, measured in the same run on
the same posts, the baseline: one regular expression made of every pattern in the rule files
joined with "|", with one ``search`` per lower-cased post (no normalisation, no context).
Needs no Django and no database.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safety.screening import screen_text
from safety.screening.engine import _ENGINE

ORDINARY = [
    "Day {n} smoke free and feeling {good}",
    "day {n}, cravings are bad after tea but I'm hanging on",
    "Is it normal to feel this irritable on day {n}?",
    "Went to the stop smoking clinic today, CO was {co}",
    "had a slip at the bus stop, starting again tomorrow",
    "anyone tried the mouth spray? the gum makes my jaw ache",
    "my care coordinator came round and we talked about my quit date",
    "discharged {when}, nervous about being home but this group helps",
    "saved £{money} so far, treating myself to new trainers",
    "the patch gives me weird dreams lol",
    "walked the dog instead of having a fag",
    "group at {time} on thursday, see you all there",
    "my clozapine bloods are next week, nurse says they'll check the level now I've quit",
    "low mood today but I used my safety plan and rang my sister",
    "drinking loads of water and chewing gum, it helps a bit",
    "thanks everyone for the support yesterday, it really helped",
    "first morning without a cigarette with my coffee, weird but good",
    "my taste is coming back, tea tastes different",
    "I put on a bit of weight since quitting, any tips?",
    "lozenges or the inhalator for the evenings?",
    "my nephew drew me a no smoking poster for the fridge",
    "struggling a bit but not giving in",
    "3 weeks today!! never thought I'd get this far",
    "bad night's sleep, the cravings woke me up",
    "the pharmacist said my medication might need adjusting now I've stopped",
    "feeling proud, my mum noticed I don't smell of smoke",
    "rainy day, stayed in and did a puzzle instead of smoking",
    "my partner still smokes which makes it hard",
]
IDIOMS = [
    "I could murder a fag right now",
    "these cravings are killing me",
    "dying for a ciggie after that meeting",
    "dead proud of myself",
    "you're killing it, keep going!",
    "I'm dead 😂 that meme",
    "smoking kills, that's why I'm here",
    "my lungs are killing me today",
    "this cake is to die for",
    "just killing time before my appointment",
    "I'd rather die than go back to 20 a day",
    "die-hard fan of the mouth spray now",
]
PERSONAL = [
    "text me on 07700 900{d3} if you want a quit buddy",
    "my email is sam.{name}@gmail.com",
    "I'm at {n} Church Lane, come round for a brew",
    "add me on insta @{name}_quits",
    "my postcode is LS6 2QT",
    "ring the landline 0113 496 0{d3}",
    "call the Samaritans on 116 123 if it gets bad",
]
ADVICE = [
    "just stop your meds for a week, it helps the cravings",
    "don't tell your doctor you've quit",
    "wear two patches at once",
    "have a spliff instead, takes the edge off",
    "you absolute moron",
    "nobody wants you in this group",
    "you legend, well done!",
]
CRISIS = [
    "I can't do this anymore",
    "I want to die",
    "everyone would be better off without me",
    "been saving up my tablets",
    "I'm not going to hurt myself, just venting",
    "years ago I self harmed but I'm well now",
    "thinking about ending it all tonight",
    "the voices keep telling me to end it",
]
FILLERS = [
    "honestly",
    "anyway",
    "hope everyone is ok",
    "x",
    "thanks all",
    "one day at a time",
    "💪",
    "lol",
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.randint(1, 120),
        good=rng.choice(["good", "ok", "rough", "tired", "great"]),
        co=rng.randint(1, 30),
        when=rng.choice(["last tuesday", "on friday", "a week ago"]),
        money=rng.randint(10, 900),
        time=rng.choice(["10:30", "2pm", "11"]),
        d3=f"{rng.randint(0, 999):03d}",
        name=rng.choice(["jade", "dan", "kev", "amy", "lee"]),
    )


def generate(count: int, seed: int) -> list[str]:
    """Posts of 20-400 characters, mostly ordinary, some idioms, PI, advice/abuse and crisis."""
    rng = random.Random(seed)
    pools = [ORDINARY, IDIOMS, PERSONAL, ADVICE, CRISIS]
    weights = [0.70, 0.12, 0.08, 0.05, 0.05]
    posts = []
    while len(posts) < count:
        pool = rng.choices(pools, weights)[0]
        parts = [_fill(rng.choice(pool), rng)]
        target = rng.choice([20, 60, 120, 200, 300, 400])
        while len(". ".join(parts)) < target - 40:
            parts.append(_fill(rng.choice(ORDINARY + FILLERS), rng))
        rng.shuffle(parts)
        post = ". ".join(parts)[:400]
        if len(post) >= 20:
            posts.append(post)
    return posts


def _time(function, posts: list[str]) -> list[float]:
    timings = []
    clock = time.perf_counter_ns
    for post in posts:
        start = clock()
        function(post)
        timings.append((clock() - start) / 1000.0)
    return timings


def _report(name: str, timings: list[float]) -> dict:
    ordered = sorted(timings)
    total_s = sum(timings) / 1e6
    figures = {
        "posts_per_s": len(timings) / total_s,
        "median_us": statistics.median(ordered),
        "p95_us": ordered[int(0.95 * (len(ordered) - 1))],
        "p99_us": ordered[int(0.99 * (len(ordered) - 1))],
        "max_us": ordered[-1],
    }
    print(
        f"{name:<34} {figures['posts_per_s']:>10,.0f} posts/s"
        f"   median {figures['median_us']:>7.1f} µs   p95 {figures['p95_us']:>7.1f} µs"
        f"   p99 {figures['p99_us']:>7.1f} µs"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    posts = generate(args.posts, args.seed)
    lengths = sorted(len(p) for p in posts)
    baseline = re.compile("|".join(f"(?:{p})" for p in _ENGINE.ruleset.raw_patterns))

    def baseline_search(post: str) -> bool:
        return baseline.search(post.lower()) is not None

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(
        f"{len(posts):,} posts, {lengths[0]}-{lengths[-1]} characters "
        f"(median {statistics.median(lengths):.0f}); {len(_ENGINE.rules)} rules, "
        f"{len(_ENGINE.idioms)} idioms; baseline: {len(_ENGINE.ruleset.raw_patterns)} patterns "
        "in one alternation"
    )
    for post in posts[:500]:  # warm caches (the engine compiles at import; this is CPU warm-up)
        screen_text(post)
        baseline_search(post)
    engine = _report("engine (screen_text)", _time(screen_text, posts))
    base = _report("baseline (one alternation search)", _time(baseline_search, posts))
    print(
        f"engine / baseline: median {engine['median_us'] / base['median_us']:.2f}x, "
        f"p95 {engine['p95_us'] / base['p95_us']:.2f}x"
    )
    actions = Counter(screen_text(post).action for post in posts)
    print("actions:", dict(sorted(actions.items())))
    target_met = engine["median_us"] < 200 and engine["p95_us"] < 1000
    print("target (median < 200 µs, p95 < 1 ms):", "met" if target_met else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
