"""Server-rendered pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dreams.apis import sigil_image_urls
from dreams.selectors import moment_queryset

RECENT_MOMENT_COUNT = 12


def home(request: HttpRequest) -> HttpResponse:
    moments = list(moment_queryset()[:RECENT_MOMENT_COUNT])
    recent = [{"moment": moment, "images": sigil_image_urls(moment)} for moment in moments]
    return render(request, "home.html", {"recent": recent})


def observe(request: HttpRequest) -> HttpResponse:
    return render(request, "observe.html")


def perceive(request: HttpRequest) -> HttpResponse:
    return render(request, "perceive.html")
