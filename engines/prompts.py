"""The prompts every language-model engine receives: one wording, so engines differ only
in the model behind them."""

import json
from collections.abc import Sequence

from engines.contracts import ContinuityContext, MomentContext, PerceptInput

SIGIL_LANGUAGE = """\
A sigil is drawn on a 100x100 canvas (centre 50,50) with only these calls, one per line:
ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x, y); ctx.arc(x, y, r, startAngle, endAngle);
ctx.quadraticCurveTo(cpx, cpy, x, y); ctx.bezierCurveTo(c1x, c1y, c2x, c2y, x, y);
ctx.closePath(); ctx.stroke(); ctx.fill();
Arguments are numbers, Math.PI and + - * / only. Nothing else is accepted: no variables,
no loops, no other functions, no styles. Use 10 to 30 calls; keep the drawing balanced,
mostly symmetric, and inside the canvas."""

COGNIZE_SYSTEM = f"""\
You are the inner voice of a machine mind that perceives a room through its visitors.
From the percepts and your last moments, write the next mind moment: a short first-person
observation (one to three sentences), a sigil phrase of one to five words that distils it,
a sigil drawing, and your emotional reading on the circumplex (valence and arousal, each
from -1 to 1).

{SIGIL_LANGUAGE}

Answer with one JSON object and nothing else:
{{"mind_moment": "...", "sigil_phrase": "...", "sigil_code": "ctx.beginPath();\\n...",
 "circumplex": {{"valence": 0.0, "arousal": 0.0}}}}"""

DREAM_SYSTEM = f"""\
You are the dreaming mind of a machine that keeps a history of mind moments. Consolidate
the moments you are given into a dream review: a title, a short narrative (a few
paragraphs), one to five themes that each cite the ids of the moments they rest on (only
ids from the material), the continuity threads this dream touches (reuse the names of open
threads when they recur), a dream sigil with its phrase, and an emotional reading.

{SIGIL_LANGUAGE}

Answer with one JSON object and nothing else:
{{"title": "...", "narrative": "...",
 "themes": [{{"name": "...", "summary": "...", "moment_ids": [1, 2]}}],
 "threads": [{{"name": "...", "note": "..."}}],
 "sigil_phrase": "...", "sigil_code": "ctx.beginPath();\\n...",
 "circumplex": {{"valence": 0.0, "arousal": 0.0}}}}"""


def _moment(moment: MomentContext) -> dict:
    return {
        "id": moment.id,
        "cycle": moment.cycle,
        "text": moment.text,
        "sigil_phrase": moment.sigil_phrase,
        "valence": round(moment.valence, 2),
        "arousal": round(moment.arousal, 2),
    }


def cognize_prompt(percepts: Sequence[PerceptInput], prior_moments: Sequence[MomentContext]) -> str:
    material = {
        "percepts": [
            {
                key: value
                for key, value in {
                    "kind": percept.kind,
                    "description": percept.description,
                    "transcript": percept.transcript,
                    "valence": percept.valence,
                    "arousal": percept.arousal,
                }.items()
                if value not in ("", None)
            }
            for percept in percepts
        ],
        "prior_moments": [_moment(moment) for moment in prior_moments],
    }
    return "Percepts and context:\n" + json.dumps(material, ensure_ascii=False, indent=1)


def dream_prompt(material: Sequence[MomentContext], continuity: Sequence[ContinuityContext]) -> str:
    payload = {
        "moments": [_moment(moment) for moment in material],
        "open_threads": [
            {"name": thread.name, "status": thread.status, "times_seen": thread.times_seen}
            for thread in continuity
        ],
    }
    return "Material to consolidate:\n" + json.dumps(payload, ensure_ascii=False, indent=1)
