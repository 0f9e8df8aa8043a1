"""Error responses: the site's own pages (templates/404.html, 500.html), JSON under /api/."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _wants_json(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "The server ran into an error; it has been logged. Try again later."},
            status=500,
        )
    return defaults.server_error(request)
