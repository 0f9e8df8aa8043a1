"""One mind moment's page."""

from django.http import Http404, HttpRequest, HttpResponse


def moment_page(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
