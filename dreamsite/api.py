"""The body limit for requests that reach Django without the ASGI application in front (the
test client): a Content-Length over the limit gets the same 413 as everywhere else
(`dreamsite.body_limit`)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from dreamsite.body_limit import STATUS, over_limit, refusal


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"detail": "The Content-Length header is not a number."}, status=400
            )
        if over_limit(length):
            content_type, body = refusal(request.path)
            return HttpResponse(body, content_type=content_type.decode(), status=STATUS)
        return self.get_response(request)
