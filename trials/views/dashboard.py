"""The trial dashboard for trial managers (admins): live figures with their definitions, the
recruitment chart, the CONSORT flow (inline and as an SVG file), and the trials' headline on the
admin's home page."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.models import Role
from trials import consort, dashboard_cache, metrics, permissions, selectors
from trials.models import Trial

CHART_WIDTH = 640
CHART_HEIGHT = 260
CHART_LEFT = 40
CHART_BOTTOM = 28
CHART_TOP = 14


def _trial_for(request: HttpRequest, slug: str) -> Trial:
    if not permissions.can_see_dashboard(request.user):
        raise Http404
    return selectors.trial_get(slug=slug, with_design=False)


def recruitment_chart(recruitment: metrics.Recruitment) -> dict | None:
    """Bars of those randomised each week, the running total and the target as lines, scaled
    to the larger of the target and the total."""
    weeks = recruitment.weeks
    if not weeks:
        return None
    top = max(recruitment.target, recruitment.randomised, 1)
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    plot_width = CHART_WIDTH - CHART_LEFT - 8
    step = plot_width / len(weeks)
    bar_width = max(step * 0.7, 1)
    baseline = CHART_HEIGHT - CHART_BOTTOM

    def y_of(value: float) -> float:
        return round(baseline - plot_height * value / top, 1)

    bars, line = [], []
    for index, week in enumerate(weeks):
        x = CHART_LEFT + index * step
        bars.append(
            {
                "x": round(x + (step - bar_width) / 2, 1),
                "y": y_of(week.randomised),
                "width": round(bar_width, 1),
                "height": round(baseline - y_of(week.randomised), 1),
            }
        )
        line.append(f"{round(x + step / 2, 1)},{y_of(week.randomised_total)}")
    every = max(1, len(weeks) // 10)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 8,
        "baseline": baseline,
        "target_y": y_of(recruitment.target),
        "bars": bars,
        "line": " ".join(line),
        "ticks": [(y_of(value), value) for value in sorted({0, top // 2, top})],
        "x_labels": [
            (round(CHART_LEFT + index * step + step / 2, 1), week.week)
            for index, week in enumerate(weeks)
            if index % every == 0
        ],
        "summary": _(
            "%(n)s randomised of a target of %(target)s, in %(weeks)s weeks since recruitment "
            "opened."
        )
        % {"n": recruitment.randomised, "target": recruitment.target, "weeks": len(weeks)},
    }


@role_required(Role.ADMIN)
def dashboard_view(request: HttpRequest, slug: str) -> HttpResponse:
    trial = _trial_for(request, slug)
    figures, flow = dashboard_cache.figures(trial=trial)
    response = render(
        request,
        "trials/dashboard/dashboard.html",
        {
            "trial": trial,
            "d": figures,
            "flow": flow,
            # Made only when the page is not kept already (the template caches it).
            "diagram": SimpleLazyObject(lambda: consort.diagram(flow)),
            "consort_definition": _(consort.DEFINITION),
            "chart": SimpleLazyObject(lambda: recruitment_chart(figures.recruitment)),
            "levels": consort.LEVELS,
        },
    )
    add_never_cache_headers(response)
    return response


@role_required(Role.ADMIN)
def consort_svg_view(request: HttpRequest, slug: str) -> HttpResponse:
    trial = _trial_for(request, slug)
    svg = render_to_string(
        "trials/dashboard/consort.svg",
        {"diagram": consort.diagram(dashboard_cache.figures(trial=trial)[1]), "standalone": True},
    )
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="consort-{trial.slug}.svg"'
    add_never_cache_headers(response)
    return response


def admin_home_section(request: HttpRequest, admin) -> str:
    """Each trial with its headline (randomised of the target) and a link to its dashboard.
    One query."""
    if not permissions.can_see_dashboard(admin):
        return ""
    trials = list(
        Trial.objects.exclude(status=Trial.Status.SETUP)
        .annotate(
            randomised=Count("participants", filter=Q(participants__allocation__isnull=False))
        )
        .order_by("-created_at")[:10]
    )
    if not trials:
        return ""
    return render_to_string(
        "trials/dashboard/_admin_home.html", {"trials": trials}, request=request
    )
