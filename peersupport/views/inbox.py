"""(Being written: every view below is replaced by its real implementation.)"""

from django.http import Http404


def inbox_view(request, *args, **kwargs):
    raise Http404


def conversation_view(request, *args, **kwargs):
    raise Http404


def overdue_messages_view(request, *args, **kwargs):
    raise Http404
