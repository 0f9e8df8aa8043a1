"""Readable HTML for the admin: the JSON a person reads (percepts, a review's themes and
threads, a run's warnings and outcome) as lists, and colours as swatches.

Every value is escaped by `format_html`; text a person or an engine wrote carries
`dir="auto"`, so Arabic or Hebrew reads in its own direction beside English. Stored JSON
from older releases may lack a key: a missing value is left out, never a broken page.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.timezone import is_aware, localtime

from dreams.models import MindMoment, Percept, PerceptKind, ThreadStatus

PERCEPT_TEXT_KEYS = ("description", "transcript")
# How a percept's kind reads beside its text.
PERCEPT_KIND_WORDS: dict[str, str] = {PerceptKind.VISUAL: "Seen", PerceptKind.AUDIO: "Heard"}
LIST_TEXT_CHARS = 80
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def when(value: datetime | str | None) -> str:
    """A time as the admin shows its own dates (the site's time zone and format)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value is None:
        return ""
    return str(localize(localtime(value) if is_aware(value) else value))


def written(text: object, tag: str = "span") -> SafeString:
    """Text someone wrote, in its own direction."""
    return format_html('<{} dir="auto">{}</{}>', SafeString(tag), str(text), SafeString(tag))


def written_block(text: str) -> SafeString:
    """A longer text (a moment's text, a narrative) with its line breaks kept."""
    return format_html('<div class="dreams-text" dir="auto">{}</div>', text)


def percept_text(payload: Mapping[str, Any]) -> str:
    """What a percept saw or heard: its description or transcript."""
    for key in PERCEPT_TEXT_KEYS:
        value = payload.get(key)
        if value:
            return str(value)
    return ""


def percept_text_short(payload: Mapping[str, Any]) -> SafeString:
    return written(Truncator(percept_text(payload)).chars(LIST_TEXT_CHARS))


def _kind_word(kind: str) -> str:
    return PERCEPT_KIND_WORDS.get(kind, kind)


def _percept_row(kind: str, text: str, at: str, link: str) -> SafeString:
    time_html = format_html(' <span class="dreams-quiet">{}</span>', at) if at else ""
    link_html = format_html(' <a href="{}">percept</a>', link) if link else ""
    return format_html(
        '<li><span class="dreams-tag">{}</span> {}{}{}</li>',
        _kind_word(kind),
        written(text or "(no text)"),
        time_html,
        link_html,
    )


def percept_rows_html(percepts: Iterable[Percept]) -> SafeString:
    """Stored percepts, each with its kind, text, time and admin page."""
    rows = [
        _percept_row(
            percept.kind,
            percept_text(percept.payload),
            when(percept.received_at),
            reverse("admin:dreams_percept_change", args=[percept.pk]),
        )
        for percept in percepts
    ]
    return _list(rows, "No percepts.")


def moment_percepts_html(moment: MindMoment, percepts: Sequence[Percept]) -> SafeString:
    """The percepts a moment was made of: the stored percepts when they are still kept (they
    have a time), else the copies the moment keeps of their payloads."""
    if percepts:
        return percept_rows_html(percepts)
    rows = [
        _percept_row(kind, percept_text(payload), "", "")
        for kind, payloads in (
            (PerceptKind.VISUAL, moment.visual_percepts),
            (PerceptKind.AUDIO, moment.audio_percepts),
        )
        for payload in payloads or []
        if isinstance(payload, Mapping)
    ]
    return _list(rows, "No percepts: this moment came from the mind alone.")


def percept_payload_html(payload: Mapping[str, Any]) -> SafeString:
    """One percept's payload as a definition list: its text and the feeling it carried."""
    items = [
        (key.capitalize(), written(payload[key])) for key in PERCEPT_TEXT_KEYS if payload.get(key)
    ]
    items += [
        (key.capitalize(), format_html("{}", payload[key]))
        for key in ("valence", "arousal")
        if isinstance(payload.get(key), int | float)
    ]
    if not items:
        return format_html("<p>{}</p>", "This percept carried no text.")
    return _definitions(items)


def colour_swatch(colour: str) -> SafeString:
    """A swatch of the colour beside its hex (a value that is not #rrggbb gets no swatch)."""
    if not COLOUR.fullmatch(colour or ""):
        return format_html("<code>{}</code>", colour)
    return format_html(
        '<span class="dreams-swatch" style="background-color:{}" role="img" aria-label="{}">'
        "</span> <code>{}</code>",
        colour,
        f"The colour {colour}",
        colour,
    )


def _cited(moment_id: int, moment: MindMoment | None) -> SafeString:
    site_link = format_html(
        '<a href="{}" class="dreams-site-link">its page</a>',
        reverse("moment-page", args=[moment_id]),
    )
    if moment is None:
        return format_html(
            "<li>Moment {} (no longer kept) {}</li>",
            moment_id,
            site_link,
        )
    return format_html(
        '<li><a href="{}">Cycle {}</a> {} · {}</li>',
        reverse("admin:dreams_mindmoment_change", args=[moment_id]),
        moment.cycle,
        written(moment.sigil_phrase or Truncator(moment.text).chars(LIST_TEXT_CHARS)),
        site_link,
    )


def themes_html(themes: object) -> SafeString:
    """A dream's themes: each name, summary and the moments it cites, linked to their admin
    pages and their pages on the site."""
    theme_list = (
        [theme for theme in themes if isinstance(theme, Mapping)]
        if isinstance(themes, list)
        else []
    )
    ids = {
        moment_id
        for theme in theme_list
        for moment_id in theme.get("moment_ids") or []
        if isinstance(moment_id, int)
    }
    moments = MindMoment.objects.only("id", "cycle", "sigil_phrase", "text").in_bulk(ids)
    items = []
    for theme in theme_list:
        cited = [
            _cited(moment_id, moments.get(moment_id))
            for moment_id in theme.get("moment_ids") or []
            if isinstance(moment_id, int)
        ]
        note = theme.get("summary") or theme.get("note") or ""
        items.append(
            format_html(
                "<li>{}{}{}</li>",
                written(theme.get("name") or "(unnamed theme)", "strong"),
                written(note, "p") if note else "",
                format_html(
                    '<p class="dreams-quiet">Cites</p><ul class="dreams-cites">{}</ul>',
                    format_html_join("", "{}", ((item,) for item in cited)),
                )
                if cited
                else "",
            )
        )
    return _list(items, "No themes.", css="dreams-themes")


def _times(count: object) -> str:
    if not isinstance(count, int):
        return ""
    return "once" if count == 1 else f"{count} times"


def threads_html(threads: object, seen_at: datetime) -> SafeString:
    """The continuity threads a dream touched: each name, status word, note, when first and
    last seen (last: this dream) and how often."""
    items = []
    for thread in threads if isinstance(threads, list) else []:
        if not isinstance(thread, Mapping):
            continue
        status = str(thread.get("status") or "")
        status_word = ThreadStatus(status).label if status in ThreadStatus else status
        facts = [
            f"first seen {first}" if (first := when(thread.get("first_seen_at"))) else "",
            f"last seen {when(seen_at)}, in this dream",
            f"seen {times}" if (times := _times(thread.get("times_seen"))) else "",
        ]
        note = thread.get("note") or ""
        items.append(
            format_html(
                '<li>{} <span class="dreams-tag dreams-status-{}">{}</span>{}'
                '<p class="dreams-quiet">{}</p></li>',
                written(thread.get("name") or "(unnamed thread)", "strong"),
                status,
                status_word,
                written(note, "p") if note else "",
                _sentence("; ".join(fact for fact in facts if fact)),
            )
        )
    return _list(items, "No continuity threads.")


def warnings_html(warnings: object) -> SafeString:
    items = [
        format_html("<li>{}</li>", warning)
        for warning in (warnings if isinstance(warnings, list) else [])
    ]
    return _list(items, "No warnings.")


def outcome_html(outcome: object) -> SafeString:
    """What a dry run would have written, as a short definition list."""
    if not isinstance(outcome, Mapping) or not outcome:
        return format_html(
            "<p>{}</p>", "Nothing kept: only a dry run keeps what it would have written."
        )
    items: list[tuple[str, SafeString]] = []
    if outcome.get("title"):
        items.append(("Title", written(outcome["title"])))
    if outcome.get("sigil_phrase"):
        items.append(("Sigil phrase", written(outcome["sigil_phrase"])))
    if outcome.get("themes"):
        items.append(("Themes", themes_html(outcome["themes"])))
    threads = outcome.get("threads")
    if isinstance(threads, list) and threads:
        items.append(
            (
                "Threads",
                format_html_join(", ", "{}", ((written(name),) for name in threads)),
            )
        )
    return _definitions(items)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _list(items: Sequence[SafeString], empty: str, css: str = "dreams-list") -> SafeString:
    if not items:
        return format_html('<p class="dreams-quiet">{}</p>', empty)
    return format_html(
        '<ul class="{}">{}</ul>', css, format_html_join("", "{}", ((item,) for item in items))
    )


def _definitions(items: Sequence[tuple[str, SafeString]]) -> SafeString:
    return format_html(
        '<dl class="dreams-definitions">{}</dl>',
        format_html_join("", "<dt>{}</dt><dd>{}</dd>", items),
    )
