"""(Being written: every view below is replaced by its real implementation.)"""

from django.http import Http404


def queue_view(request, *args, **kwargs):
    raise Http404


def log_view(request, *args, **kwargs):
    raise Http404


def post_view(request, *args, **kwargs):
    raise Http404


def approve_view(request, *args, **kwargs):
    raise Http404


def reject_view(request, *args, **kwargs):
    raise Http404


def edit_view(request, *args, **kwargs):
    raise Http404


def remove_view(request, *args, **kwargs):
    raise Http404


def lock_view(request, *args, **kwargs):
    raise Http404


def pin_view(request, *args, **kwargs):
    raise Http404


def post_worried_view(request, *args, **kwargs):
    raise Http404


def report_close_view(request, *args, **kwargs):
    raise Http404


def group_view(request, *args, **kwargs):
    raise Http404


def staff_post_view(request, *args, **kwargs):
    raise Http404


def member_view(request, *args, **kwargs):
    raise Http404


def mute_view(request, *args, **kwargs):
    raise Http404


def unmute_view(request, *args, **kwargs):
    raise Http404


def member_remove_view(request, *args, **kwargs):
    raise Http404


def reveal_view(request, *args, **kwargs):
    raise Http404


def member_worried_view(request, *args, **kwargs):
    raise Http404
