"""The moment page and the history of moments."""

from django.http import Http404, HttpRequest, HttpResponse


def moment_page(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404


def moment_history(request: HttpRequest) -> HttpResponse:
    raise Http404
