"""The history of moments: a grid of sigils to filter and page through."""

import contextlib
from collections.abc import Mapping
from datetime import datetime

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone

from dreams.selectors.moment_history import (
    HISTORY_FILTER_NAMES,
    HistoryPage,
    moment_history_filter,
    moment_history_page,
    moment_history_reads_by_time,
)
from dreams.selectors.moments import moments_exist

# The largest cycle the database holds (a bigint): a bigger cursor is refused, not sent.
MAX_CYCLE = 2**63 - 1
# What each filter is called on the page, and what it takes, for its error messages.
FILTER_HELP = {
    "kind": ("Kind", "choose live, dream or seed."),
    "since": ("From", "a date and time, such as 2025-06-01T09:30."),
    "until": ("Until", "a date and time, such as 2025-06-01T09:30."),
    "has_sigil": ("With a sigil", "true or false."),
    "valence_min": ("Valence from", "a number from -1 to 1."),
    "valence_max": ("Valence to", "a number from -1 to 1."),
    "arousal_min": ("Arousal from", "a number from -1 to 1."),
    "arousal_max": ("Arousal to", "a number from -1 to 1."),
    # Its own messages say what is wrong (too long, a control character).
    "q": ("Text", None),
}
CURSOR_HELP = {
    "before": ("Older than cycle", "a cycle number (follow the Older and Newer links)."),
    "after": ("Newer than cycle", "a cycle number (follow the Older and Newer links)."),
}
# A time input's own format (seconds included), in the server's time zone.
TIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M:%S"


class CursorForm(forms.Form):
    before = forms.IntegerField(min_value=0, max_value=MAX_CYCLE, required=False)
    after = forms.IntegerField(min_value=0, max_value=MAX_CYCLE, required=False)

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        if cleaned.get("before") is not None and cleaned.get("after") is not None:
            raise forms.ValidationError("Follow either Older or Newer, not both at once.")
        return cleaned


def moment_history(request: HttpRequest) -> HttpResponse:
    filters = moment_history_filter(request.GET)
    cursor = CursorForm(request.GET)
    filters_valid = filters.is_valid()
    if not (cursor.is_valid() and filters_valid):
        context = _context(request, filters.form.cleaned_data, page=None)
        context["errors"] = _errors(filters.errors, FILTER_HELP) + _errors(
            cursor.errors, CURSOR_HELP
        )
        return render(request, "moments/history.html", context, status=400)
    before, after = cursor.cleaned_data["before"], cursor.cleaned_data["after"]
    cleaned = filters.form.cleaned_data
    by_time = moment_history_reads_by_time(
        since=cleaned.get("since"), until=cleaned.get("until"), before=before
    )
    page = moment_history_page(filters.qs, before=before, after=after, by_time=by_time)
    context = _context(request, filters.form.cleaned_data, page=page)
    context["paged"] = any(value is not None for value in cursor.cleaned_data.values())
    context["crossed"] = _crossed(filters.form.cleaned_data)
    # Only an empty page needs to know whether there is anything at all.
    context["any_moments"] = bool(page.moments) or moments_exist()
    return render(request, "moments/history.html", context)


def _context(request: HttpRequest, cleaned: dict, *, page: HistoryPage | None) -> dict:
    filters = _filter_query(request.GET)
    values = {name: request.GET.get(name, "") for name in HISTORY_FILTER_NAMES}
    for name in ("since", "until"):
        # A shared URL may carry any ISO time: the input shows it in its own format.
        if isinstance(cleaned.get(name), datetime):
            with contextlib.suppress(OverflowError):  # beyond the years 1 to 9999 here
                values[name] = timezone.localtime(cleaned[name]).strftime(TIME_INPUT_FORMAT)
    context: dict = {
        "page": page,
        "values": values,
        "filtered": bool(filters),
        "filter_query": filters.urlencode(),
        "errors": [],
        "time_zone": timezone.get_current_timezone_name(),
    }
    if page is not None:
        context["newer_query"] = _with(filters, "after", page.newer_than)
        context["older_query"] = _with(filters, "before", page.older_than)
    return context


def _crossed(cleaned: dict) -> list[str]:
    """Ranges given upside down: valid, but no moment can match them."""
    crossed = []
    for low, high, text in (
        ("valence_min", "valence_max", "Valence from is above valence to."),
        ("arousal_min", "arousal_max", "Arousal from is above arousal to."),
    ):
        if None not in (cleaned.get(low), cleaned.get(high)) and cleaned[low] > cleaned[high]:
            crossed.append(text)
    if None not in (cleaned.get("since"), cleaned.get("until")) and (
        cleaned["since"] >= cleaned["until"]
    ):
        crossed.append("From is not before until.")
    return crossed


def _filter_query(data: QueryDict) -> QueryDict:
    """The filters the request carries, without empty ones (a form sends every field)."""
    query = QueryDict(mutable=True)
    for name in HISTORY_FILTER_NAMES:
        if value := data.get(name, ""):
            query[name] = value
    return query


def _with(filters: QueryDict, name: str, cycle: int | None) -> str | None:
    if cycle is None:
        return None
    query = filters.copy()
    query[name] = str(cycle)
    return query.urlencode()


def _errors(errors: dict, help_by_name: Mapping[str, tuple[str, str | None]]) -> list[str]:
    """One line per field at fault, saying what it takes."""
    lines = []
    for name, messages in errors.items():
        if name not in help_by_name:
            lines.extend(messages)
            continue
        label, takes = help_by_name[name]
        lines.extend([f"{label}: {takes}"] if takes else [f"{label}: {m}" for m in messages])
    return lines
