"""Telling speech from a described sound. Perceptors send both as an audio percept's text:
the source protocol's `analysis` ("Someone laughs two tables away.") arrives where a
transcript would, and only speech may be quoted as something said.

Without a language model this reads cues: speech speaks to or about the people in the
room (I, we, you), asks, or names no sound; a description names a sound (a laugh,
footsteps, rain, a door) and no speaker. Speech about a sound with no one in it ("the
rain is getting worse") reads as the sound, which is what it is about.
"""

from __future__ import annotations

import re

from engines.offline.words import QUESTION_OPENERS

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
# First and second person: someone speaking, to someone.
_SPEAKER = frozenset(
    """
    i i'm i'll i've i'd me my mine myself we we're we'll we've we'd us our ours ourselves
    you you're you'll you've you'd your yours yourself yourselves let's
    """.split()  # noqa: SIM905
)
# Sounds and their sources, in their plain forms (laughs, laughing and laughter come back
# to "laugh" below).
_SOUNDS = frozenset(
    """
    alarm applause applaud babble bang bark beat beep bell bird birdsong blare boom buzz
    chant chatter cheer chime chirp chuckle clang clank clap clatter click clink coo cough
    crackle crash creak croak cry crunch din door drip drone drum echo engine fanfare
    footfall footstep gasp giggle groan growl grunt gurgle hammer hiss honk hoot horn howl
    hum jingle knock laugh laughter meow moan motor murmur music mutter neigh noise patter
    piano purr quack racket rain rattle ring roar rumble rustle scream screech shout shriek
    shuffle sigh silence sing siren sizzle slam snap sneeze sniff snore sob song sound
    splash squawk squeak squeal static step tap thud thump thunder tick traffic trickle
    tune vibrate voice wail whimper whine whir whisper whistle wind yell
    """.split()  # noqa: SIM905
)
# Speech reported, not spoken: "Someone says hello", "a voice calls a name".
_REPORTED = frozenset({"says", "asks", "calls", "speaks", "talks", "talking", "conversation"})


def _plain_forms(word: str) -> set[str]:
    """The forms a word may come from: laughs, laughing, laughed, cries, humming."""
    forms = {word}
    for ending, replacements in (
        ("ies", ("y",)),
        ("es", ("", "e")),
        ("s", ("",)),
        ("ing", ("", "e")),
        ("ed", ("", "e")),
        ("ter", ("",)),
    ):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[: -len(ending)]
            forms.update(stem + replacement for replacement in replacements)
            if len(stem) > 2 and stem[-1] == stem[-2]:  # humming, drummed
                forms.add(stem[:-1])
    return forms


def is_described_sound(text: str) -> bool:
    """Whether an audio percept's text describes a sound rather than gives what was said."""
    stripped = text.strip()
    words = [word.lower().replace("\u2019", "'") for word in _WORD.findall(stripped)]
    if not words:
        return False
    # "[laughter]", "(door slams)", "*coughs*": a transcriber's note of a sound.
    if stripped[0] + stripped[-1] in ("[]", "()", "**"):
        return True
    if any(word in _SPEAKER for word in words):
        return False
    if stripped.endswith("?") or words[0] in QUESTION_OPENERS:
        return False
    return any(word in _REPORTED or _plain_forms(word) & _SOUNDS for word in words)
