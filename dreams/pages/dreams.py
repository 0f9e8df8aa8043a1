"""The dream reviews: their list and one dream's page."""

from django.http import Http404, HttpRequest, HttpResponse


def dream_list(request: HttpRequest) -> HttpResponse:
    raise Http404


def dream_page(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
