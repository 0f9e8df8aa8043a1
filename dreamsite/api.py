"""Site-wide request limits: a body over the limit gets a clear 413 before any view runs."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"detail": "The Content-Length header is not a number."}, status=400
            )
        if limit is not None and length > limit:
            return JsonResponse(
                {"detail": f"The request body is {length} bytes; the limit is {limit}."},
                status=413,
            )
        return self.get_response(request)
