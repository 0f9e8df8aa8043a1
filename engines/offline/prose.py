"""Putting words into sentences: lists, numbers in words, articles, agreement, capitals,
quotes and excerpts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engines.offline.words import SENTENCE_END

_MAX_QUOTED_WORDS = 24
_MAX_QUOTED_CHARS = 200
_MAX_EXCERPT_CHARS = 160


_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def joined(items: Sequence[str], *, final: str = " and ") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + final + items[-1]


def in_words(number: int) -> str:
    return _NUMBER_WORDS[number] if number < len(_NUMBER_WORDS) else str(number)


def counted(number: int, noun: str) -> str:
    return f"{in_words(number)} {noun}{'' if number == 1 else 's'}"


# "a" or "an" goes by the sound of the next word, not its first letter: words that open
# on a vowel letter but a "you" or "w" sound (unicorn, use, European, one), and words
# that open on a silent h (hour, honest, heir). Unimportant and uninvited keep their "un".
_VOWEL_LETTER_CONSONANT_SOUND = re.compile(
    r"uni(?![mnd])|us[eu]|ut[ie]|ur[aeo]|uk|ufo|eu|ewe|one\b|one-|once"
)
_SILENT_H = re.compile(r"hour|honest|hono(?:u)?r|heir")
# Letters whose names open on a vowel sound, for initialisms: an FBI agent, an X-ray.
# Longer capitals with a vowel are said as words (a NASA engineer).
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
_SAID_AS_LETTERS = re.compile(r"[A-Z](?:[A-Z]{1,2}\b|[B-DF-HJ-NP-TV-Z]+\b|-|\b)")


def _opens_on_vowel_sound(word: str) -> bool:
    if _SAID_AS_LETTERS.match(word):
        return word[0] in _VOWEL_SOUND_LETTERS
    lower = word.lower()
    if _SILENT_H.match(lower):
        return True
    return lower[:1] in ("a", "e", "i", "o", "u") and not _VOWEL_LETTER_CONSONANT_SOUND.match(lower)


def with_article(phrase: str) -> str:
    """The phrase after "a" or "an", as it sounds: a unicorn, an hour, an amber light."""
    return f"{'an' if _opens_on_vowel_sound(phrase.lstrip()) else 'a'} {phrase}"


def verb_for(subject: str, singular: str, plural: str) -> str:
    """The verb that agrees with a one-word subject: waves keep, the tide keeps. A word in
    -s reads as plural unless it cannot be (glass, bus, axis, nervous)."""
    many = len(subject) > 3 and subject.endswith("s")
    return plural if many and not subject.endswith(("ss", "us", "is")) else singular


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def in_sentence(text: str) -> str:
    """Text to continue a sentence with: "A woman waves" becomes "a woman waves", but "I"
    and words with capitals of their own (NASA, McCartney) keep theirs."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    if first == "I" or any(char.isupper() for char in first[1:]):
        return text
    return text[:1].lower() + text[1:]


def quoted_names(names: Sequence[str], *, opening: bool = False) -> str:
    """Names in quotes (names are often pairs, "sea and waves", and quotes keep a list of
    them readable); the first one capitalized when it opens a sentence."""
    quoted = [f"\u201c{name}\u201d" for name in names]
    if opening:
        quoted[0] = f"\u201c{capitalized(names[0])}\u201d"
    return joined(quoted)


def shortened(text: str) -> str:
    """Text to quote, within a sentence's length."""
    words = text.split()
    shortened = " ".join(words[:_MAX_QUOTED_WORDS])[:_MAX_QUOTED_CHARS]
    return shortened if shortened == " ".join(words) else shortened + "\u2026"


def excerpt_of(text: str) -> str:
    """A moment's first sentence, to quote: its own quotes become single ones."""
    text = SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    text = text.replace("\u201c", "\u2018").replace("\u201d", "\u2019")
    if len(text) <= _MAX_EXCERPT_CHARS:
        return text
    return text[:_MAX_EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
