"""The peer specialist's outreach queue: people who have stopped checking in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role
from cessation import services
from cessation.models import OutreachTask
from core.exceptions import StateConflict


class OutreachCloseForm(forms.Form):
    note = forms.CharField(
        label="What happened? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Stored encrypted. Their clinician can read it.",
    )


@role_required(Role.PEER)
def outreach_queue_view(request: HttpRequest) -> HttpResponse:
    """The peer's own open tasks, oldest first, each with how many check-ins in a row the person
    has missed (from their schedule, so it keeps counting after the task was raised) and its
    own "Mark as done" form. People appear by their display name only."""
    tasks = OutreachTask.objects.filter(peer=request.user).select_related(
        "patient", "patient__checkin_schedule"
    )
    page = Paginator(
        tasks.filter(status=OutreachTask.Status.OPEN).order_by("created_at", "pk"), 25
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "task": task,
            "missed": _missed_in_row(task),
            # One form per task: ids must differ, or every label points at the first note box.
            "form": OutreachCloseForm(auto_id=f"id_task{task.pk}_%s"),
        }
        for task in page.object_list
    ]
    recent = tasks.exclude(status=OutreachTask.Status.OPEN).order_by("-closed_at")[:10]
    return render(
        request,
        "cessation/staff/outreach_queue.html",
        {"page": page, "rows": rows, "recent": recent},
    )


def _missed_in_row(task: OutreachTask) -> int | None:
    schedule = getattr(task.patient, "checkin_schedule", None)
    return schedule.missed_in_row if schedule is not None and schedule.missed_in_row else None


@role_required(Role.PEER)
@require_POST
def outreach_close_view(request: HttpRequest, task_id: int) -> HttpResponse:
    task = OutreachTask.objects.filter(pk=task_id, peer=request.user).first()
    if task is None:
        raise Http404("No such task in your queue.")
    form = OutreachCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the note under 1,000 characters.")
        return redirect("cessation_staff:outreach_queue")
    try:
        services.outreach_close(task=task, by=request.user, note=form.cleaned_data["note"])
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thank you. Marked as done.")
    return redirect("cessation_staff:outreach_queue")
