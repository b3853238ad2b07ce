"""(Being written: every view below is replaced by its real implementation.)"""

from django.http import Http404


def messages_view(request, *args, **kwargs):
    raise Http404
