"""The dream reviews: their list and one dream's page."""

import re

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dreams.models import Trigger
from dreams.pages.wording import duration_copy
from dreams.selectors import dream_pages
from dreams.templatetags.engine_names import engine_label

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A keyset cursor is a dream's sequence: digits, and no more than the database holds.
_CURSOR = re.compile(r"[0-9]{1,9}")
# Who started the run that wrote a dream.
TRIGGER_COPY: dict[str, str] = {
    Trigger.SCHEDULE: "The schedule",
    Trigger.DASHBOARD: "A person, on the dashboard",
    Trigger.ADMIN: "A person, in the admin",
    Trigger.CLI: "A person, at the command line",
    Trigger.API: "A program, through the API",
}


def _cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if _CURSOR.fullmatch(value) else None


def dream_list(request: HttpRequest) -> HttpResponse:
    before, after = _cursor(request, "before"), _cursor(request, "after")
    page = dream_pages.dream_list_page(before=before, after=after if before is None else None)
    paged = before is not None or after is not None
    return render(
        request,
        "dreams/list.html",
        {
            "page": page,
            "paged": paged,
            # An empty page of a stale link is not "no dream yet".
            "any_dreams": bool(page.items) or (paged and dream_pages.dreams_exist()),
        },
    )


def dream_page(request: HttpRequest, pk: int) -> HttpResponse:
    page = dream_pages.dream_page(pk)
    if page is None:
        raise Http404("No such dream.")
    paragraphs = [
        paragraph.strip()
        for paragraph in _PARAGRAPH_BREAK.split(page.review.narrative)
        if paragraph.strip()
    ]
    return render(
        request,
        "dreams/detail.html",
        {
            "dream": page,
            "review": page.review,
            "paragraphs": paragraphs,
            "engine_label": engine_label(page.review.engine),
            "run_trigger": TRIGGER_COPY.get(page.run.trigger, "") if page.run else "",
            "run_duration": duration_copy(page.run.duration_ms) if page.run else "",
        },
    )
