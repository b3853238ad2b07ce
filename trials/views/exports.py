"""The export page (admins only): choose why, then download a dataset as CSV or JSON, the data
dictionary, the README, or everything as one ZIP. The download is the answer to the form's POST
(no GET link downloads anything), written to the audit log before it streams."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from accounts.decorators import role_required
from accounts.models import Role
from trials import permissions, selectors
from trials.exports import files
from trials.exports.datasets import DATASETS
from trials.exports.dictionary import dictionary_csv
from trials.exports.forms import ExportForm
from trials.exports.readme import readme_text
from trials.exports.services import export_record, purpose_label
from trials.exports.writers import zip_stream
from trials.models import Trial

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "dictionary": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "zip": "application/zip",
}


def _download(trial: Trial, what: str, fmt: str, purpose: str) -> StreamingHttpResponse:
    stamp = timezone.localdate().isoformat()
    label = purpose_label(purpose)
    if what == "all":
        name = f"{trial.slug}_export_{stamp}.zip"
        chunks = zip_stream(
            files.export_members(trial, formats=("csv", "json"), purpose_label=label, counts={})
        )
    elif what == "dictionary":
        name = f"{trial.slug}_{files.DICTIONARY_NAME}"
        chunks = dictionary_csv(trial)
    elif what == "readme":
        name = f"{trial.slug}_{files.README_NAME}"
        counts = files.readme_counts(trial, ("csv", "json"))
        chunks = iter([readme_text(trial=trial, counts=counts, purpose_label=label).encode()])
    elif fmt == "dictionary":
        name = f"{trial.slug}_{what}_dictionary_{stamp}.csv"
        chunks = dictionary_csv(trial, [what])
    else:
        name = f"{trial.slug}_{files.data_file_name(what, fmt).replace('.', f'_{stamp}.')}"
        chunks = files.data_stream(what, fmt, trial)
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    add_never_cache_headers(response)
    return response


@role_required(Role.ADMIN)
def export_view(request: HttpRequest, slug: str) -> HttpResponse:
    if not permissions.can_export(request.user):
        raise PermissionDenied("Only trial managers export trial data.")
    trial = selectors.trial_get(slug=slug)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        what, fmt = form.what_and_format()
        purpose = form.cleaned_data["purpose"]
        # Audited before the first byte: the row commits with this call, whatever the stream.
        export_record(
            trial=trial, by=request.user, what=what, fmt=fmt, purpose=purpose, request=request
        )
        return _download(trial, what, fmt, purpose)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "trials/exports/export.html",
        {"trial": trial, "form": form, "datasets": DATASETS.values()},
        status=status,
    )
