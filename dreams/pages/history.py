"""The history of moments: a grid of sigils to filter and page through."""

from django.http import Http404, HttpRequest, HttpResponse


def moment_history(request: HttpRequest) -> HttpResponse:
    raise Http404
