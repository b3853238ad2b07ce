"""(Being written: every view below is replaced by its real implementation.)"""

from django.http import Http404


def groups_view(request, *args, **kwargs):
    raise Http404


def pseudonym_view(request, *args, **kwargs):
    raise Http404


def guidelines_view(request, *args, **kwargs):
    raise Http404


def my_posts_view(request, *args, **kwargs):
    raise Http404


def post_check_view(request, *args, **kwargs):
    raise Http404


def group_view(request, *args, **kwargs):
    raise Http404


def group_join_view(request, *args, **kwargs):
    raise Http404


def group_leave_view(request, *args, **kwargs):
    raise Http404


def post_create_view(request, *args, **kwargs):
    raise Http404


def thread_view(request, *args, **kwargs):
    raise Http404


def reply_create_view(request, *args, **kwargs):
    raise Http404


def reaction_view(request, *args, **kwargs):
    raise Http404


def report_view(request, *args, **kwargs):
    raise Http404
