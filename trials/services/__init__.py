"""Writes of the trial, one module per part: setup (trials, arms, follow-up points, opening and
closing recruitment), participation (screening, enrolment, consent, randomisation, withdrawal),
followups (scheduling, answers, CO readings, outcomes), adverse_events."""
