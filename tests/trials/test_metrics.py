"""Every figure of the dashboard against the hand-worked fixture (tests/trials/metrics_fixture.py):
each expected number is written out here, worked from the fixture's table."""

from __future__ import annotations

from datetime import date

import pytest

from onboarding.registry import steps as onboarding_steps
from tests.trials import metrics_fixture
from tests.trials.metrics_fixture import NOW
from trials import engagement, metrics
from trials.exports import datasets
from trials.metrics import Ratio
from trials.models import FollowUp

pytestmark = pytest.mark.django_db


@pytest.fixture
def fx():
    return metrics_fixture.build()


def _by_arm(per_arm, fx):
    values = {arm.code: value for arm, value in per_arm}
    return values["programme"], values["usual_care"]


def test_ratio_shows_n_of_n_and_a_percentage():
    assert str(Ratio(5, 6)) == "5/6 (83.3%)"
    assert str(Ratio(0, 0)) == "0/0"
    assert Ratio(0, 0).percent is None


def test_recruitment_per_week_against_the_target(fx):
    r = metrics.recruitment(trial=fx.trial, now=NOW)

    assert r.opened_on == date(2025, 1, 6)
    # 6 Jan to 3 Mar: 56 days, so the ninth week has begun.
    assert r.weeks_open == 9
    assert len(r.weeks) == 9
    first, second = r.weeks[0], r.weeks[1]
    assert (first.screened, first.enrolled, first.consented, first.randomised) == (4, 3, 3, 2)
    assert (second.screened, second.enrolled, second.consented, second.randomised) == (6, 3, 2, 2)
    assert [w.randomised_total for w in r.weeks] == [2, 4, 4, 4, 4, 4, 4, 4, 4]
    assert second.starts_on == date(2025, 1, 13)
    assert (r.screened, r.enrolled, r.consented, r.randomised) == (10, 6, 5, 4)
    assert str(r.of_target) == "4/40 (10%)"
    assert r.per_week == 0.44  # 4 in 9 weeks
    assert r.weeks_to_target == 81  # 36 more at 4 per 9 weeks: 81 weeks
    assert "target of 40" in r.definition


def test_recruitment_before_opening_has_no_weeks():
    from tests.trials.helpers import a_trial

    r = metrics.recruitment(trial=a_trial(), now=NOW)

    assert r.weeks == []
    assert r.weeks_open == 0
    assert r.weeks_to_target is None


def test_consent_rate(fx):
    c = metrics.consent(trial=fx.trial)

    assert str(c.rate) == "5/6 (83.3%)"  # 5 agreed of 6 asked
    assert str(c.of_approached) == "5/10 (50%)"
    assert (c.declined, c.waiting) == (1, 0)
    assert c.definition


def test_randomised_per_arm(fx):
    per_arm, definition = metrics.randomised_per_arm(trial=fx.trial, arms=metrics.arms_of(fx.trial))

    assert _by_arm(per_arm, fx) == (2, 2)
    assert definition


def test_retention_counts_completed_of_those_due(fx):
    rows = {
        row.point.code: row
        for row in metrics.retention(trial=fx.trial, arms=metrics.arms_of(fx.trial), now=NOW)
    }

    # 4 weeks: P1 and P2 completed; P3 completed, P4 stopped (withdrew).
    assert _by_arm(rows["4w"].per_arm, fx) == (Ratio(2, 2), Ratio(1, 2))
    # 12 weeks: P1's window still open (not due); P2 missed; P3's window closed on 1 March
    # without an answer (not yet marked missed): due, not completed.
    assert _by_arm(rows["12w"].per_arm, fx) == (Ratio(0, 1), Ratio(0, 1))
    assert _by_arm(rows["6m"].per_arm, fx) == (Ratio(0, 0), Ratio(0, 0))


def test_uptake_logins_onboarding_and_steps(fx):
    u = metrics.uptake(trial=fx.trial, arms=metrics.arms_of(fx.trial))

    assert _by_arm(u.randomised, fx) == (2, 2)
    # P1 logged in after randomisation, P2 never; P3 after, P4 only before.
    assert _by_arm(u.logged_in, fx) == (Ratio(1, 2), Ratio(1, 2))
    assert _by_arm(u.finished, fx) == (Ratio(1, 2), Ratio(0, 2))
    steps = {row.key: row for row in u.steps}
    assert _by_arm(steps["welcome"].per_arm, fx) == (Ratio(2, 2), Ratio(2, 2))
    assert _by_arm(steps["about_you"].per_arm, fx) == (Ratio(2, 2), Ratio(1, 2))
    programme, _usual = _by_arm(steps["quit_plan"].per_arm, fx)
    assert programme == Ratio(1, 2)
    assert _by_arm(steps["safety_plan"].per_arm, fx)[0] == Ratio(0, 2)
    # The usual-care arm is offered only the steps the registry gives it: the rest show a dash.
    usual_patient = fx.p[3].patient
    for step in onboarding_steps.all():
        _programme, usual = _by_arm(steps[step.key].per_arm, fx)
        if onboarding_steps.applies(step, usual_patient):
            assert usual is not None
        else:
            assert usual is None


def test_engagement_weeks_rows(fx):
    rows = list(engagement.engagement_weeks(trial=fx.trial, now=NOW))
    by = {(row["participant_id"], row["week"]): row for row in rows}
    p1, p2, p3, p4 = (fx.p[n].pk for n in (1, 2, 3, 4))

    # Full weeks since allocation: P1 54 days -> 7; P2 47 -> 6; P3 53 -> 7; P4 stops in week 3,
    # the week they withdrew from follow-up (30 Jan, day 14).
    assert sum(1 for row in rows if row["participant_id"] == p1) == 7
    assert sum(1 for row in rows if row["participant_id"] == p2) == 6
    assert sum(1 for row in rows if row["participant_id"] == p3) == 7
    assert sum(1 for row in rows if row["participant_id"] == p4) == 3
    assert fx.p[5].pk not in {row["participant_id"] for row in rows}

    def measures(key):
        return tuple(by[key][m] for m in engagement.MEASURES)

    # active days, check-ins, on time, posts, messages, cravings
    assert measures((p1, 1)) == (2, 2, 1, 0, 0, 1)  # 8 Jan (on time), 10 Jan (late + craving)
    assert measures((p1, 2)) == (3, 1, 1, 2, 1, 0)  # 15 (check-in), 16 (post, reply), 17 (message)
    assert measures((p1, 3)) == (0, 0, 0, 0, 0, 0)
    # P2 in New York: the check-in at 03:00 UTC on 21 Jan is 22:00 on 20 Jan, so on time.
    assert measures((p2, 1)) == (2, 1, 1, 0, 0, 1)
    assert all(measures((p3, week)) == (0,) * 6 for week in range(1, 8))
    # P4: the craving of 29 Jan counts; the one after withdrawing does not.
    assert measures((p4, 2)) == (1, 0, 0, 0, 0, 1)
    assert measures((p4, 3)) == (0,) * 6
    assert by[(p1, 1)]["study_id"] == fx.p[1].study_id
    assert by[(p1, 1)]["arm"] == "programme"
    assert set(rows[0]) == set(engagement.KEYS)


def test_engagement_definitions_cover_every_measure():
    assert set(engagement.MEASURES) <= set(engagement.DEFINITIONS)
    assert all(isinstance(text, str) and text for text in engagement.DEFINITIONS.values())


def test_engagement_means_per_arm_and_week(fx):
    programme, usual = metrics.engagement_per_arm(
        trial=fx.trial, arms=metrics.arms_of(fx.trial), now=NOW
    )

    # Programme: 7 + 6 = 13 participant-weeks; active days 2 + 3 + 2 = 7, check-ins 4, on time
    # 3, posts 2, messages 1, cravings 2.
    assert programme.participant_weeks == 13
    assert programme.means == {
        "active_days": 0.54,
        "checkins": 0.31,
        "checkins_on_time": 0.23,
        "posts": 0.15,
        "messages": 0.08,
        "cravings": 0.15,
    }
    week1, week2 = programme.weeks[0], programme.weeks[1]
    assert (week1.week, week1.participants) == (1, 2)
    assert week1.means == {
        "active_days": 2.0,
        "checkins": 1.5,
        "checkins_on_time": 1.0,
        "posts": 0.0,
        "messages": 0.0,
        "cravings": 1.0,
    }
    assert week2.means["active_days"] == 1.5
    assert week2.means["posts"] == 1.0
    assert [w.participants for w in programme.weeks] == [2, 2, 2, 2, 2, 2, 1]
    # Usual care: 7 + 3 = 10 participant-weeks, one craving.
    assert usual.participant_weeks == 10
    assert usual.means["cravings"] == 0.1
    assert usual.means["active_days"] == 0.1
    assert usual.means["checkins"] == 0.0


def test_safety_events_per_arm(fx):
    per_arm, sources = metrics.safety(trial=fx.trial, arms=metrics.arms_of(fx.trial))
    programme, usual = _by_arm(per_arm, fx)

    assert (programme.events, programme.serious, programme.participants) == (2, 1, 1)
    assert programme.by_source == {"flag": 1, "readmission": 1}
    assert (usual.events, usual.serious, usual.participants) == (1, 0, 1)
    assert dict(usual.counts)["Other, reported by the care team"] == 1
    assert [code for code, _label in sources] == ["flag", "readmission", "death", "other"]


def test_abstinence_self_reported_and_verified_itt_and_complete_case(fx):
    rows = {
        row.point.code: row
        for row in metrics.abstinence(trial=fx.trial, arms=metrics.arms_of(fx.trial))
    }
    programme, usual = _by_arm(rows["4w"].per_arm, fx)

    # P1: none since, CO 5 in the window: abstinent and verified. P2: 1 to 5, no CO: abstinent
    # by self-report, missing CO (smoking by ITT when verified).
    assert programme.self_itt == Ratio(2, 2)
    assert programme.self_complete == Ratio(2, 2)
    assert programme.verified_itt == Ratio(1, 2)
    assert programme.verified_complete == Ratio(1, 1)
    assert (programme.missing_self, programme.missing_co) == (0, 1)
    # P3: more than 5, CO 20. P4 stopped: missing, counted as smoking.
    assert usual.self_itt == Ratio(0, 2)
    assert usual.self_complete == Ratio(0, 1)
    assert usual.verified_itt == Ratio(0, 2)
    assert usual.verified_complete == Ratio(0, 1)
    assert (usual.missing_self, usual.missing_co) == (1, 0)
    # 12 weeks: nobody answered.
    programme, usual = _by_arm(rows["12w"].per_arm, fx)
    assert programme.self_itt == Ratio(0, 2)
    assert programme.self_complete == Ratio(0, 0)
    assert programme.missing_self == 2
    assert usual.missing_self == 2


def test_a_point_without_co_has_no_verified_figure(fx):
    fx.points["6m"].co_verified = False
    fx.points["6m"].save()

    rows = {
        row.point.code: row
        for row in metrics.abstinence(trial=fx.trial, arms=metrics.arms_of(fx.trial))
    }

    programme, _usual = _by_arm(rows["6m"].per_arm, fx)
    assert programme.verified_itt is None
    assert programme.verified_complete is None


def test_the_dashboard_has_every_figure_with_its_definition(fx):
    d = metrics.dashboard(trial=fx.trial, now=NOW)

    assert d.recruitment.randomised == 4
    assert set(d.definitions) == {"retention", "uptake", "engagement", "safety", "abstinence"}
    assert all(d.definitions.values())
    assert "Russell Standard" in d.definitions["abstinence"]
    assert "10 ppm" in d.definitions["abstinence"]


def test_engagement_stops_when_the_participant_completes_follow_up(fx):
    # P1 completed follow-up on 20 Jan (day 12, week 2): two weeks, nothing after counted.
    fx.p[1].completed_at = metrics_fixture.at(20)
    fx.p[1].save()
    metrics_fixture.checkin(fx.p[1].patient, date(2025, 1, 21), metrics_fixture.at(21, 9))

    rows = [
        row
        for row in engagement.engagement_weeks(trial=fx.trial, now=NOW)
        if row["participant_id"] == fx.p[1].pk
    ]

    assert [row["week"] for row in rows] == [1, 2]
    assert rows[1]["checkins"] == 1  # 15 Jan only, not 21 Jan


def test_the_dashboard_and_the_export_agree_on_every_outcome(fx):
    """One rule for both: an unanswered follow-up with a CO reading of 10 ppm or more inside the
    window is known "not verified" on the dashboard as in the exported outcomes."""
    unanswered = FollowUp.objects.filter(
        participant=fx.p[4], point=fx.points["4w"]
    ).get()  # P4: stopped, no answers
    FollowUp.objects.filter(pk=unanswered.pk).update(
        co_ppm=15, co_taken_on=unanswered.window_opens_on
    )
    dataset = datasets.dataset_get("outcomes")
    names = [column.name for column in dataset.columns]
    exported: dict[tuple[str, str], list[bool | None]] = {}
    for row in dataset.rows(fx.trial):
        values = dict(zip(names, row, strict=True))
        exported.setdefault((values["point"], values["arm"]), []).append(
            values["co_verified_abstinent"]
        )
    for point_row in metrics.abstinence(trial=fx.trial, arms=metrics.arms_of(fx.trial)):
        if not point_row.point.co_verified:
            continue
        for arm in metrics.arms_of(fx.trial):
            shown = point_row.per_arm.values[arm.pk].verified_complete
            values = exported[(point_row.point.code, arm.code)]
            known = [value for value in values if value is not None]
            assert shown == Ratio(sum(known), len(known)), (point_row.point.code, arm.code)
