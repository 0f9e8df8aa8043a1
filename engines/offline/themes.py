"""The themes of a dream's material: clusters of moments ranked by salience, named by their
most distinctive terms (open threads keep their names when their theme recurs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from engines.contracts import ContinuityContext, MomentContext
from engines.offline.clustering import best_clustering, tf_idf
from engines.offline.cognition import STILLNESS, content_terms
from engines.offline.words import word_terms

_MAX_THEMES = 5
CITED_PER_THEME = 8
_PHRASE_WEIGHT = 3
_TERMS_PER_THEME = 8
SIGIL_MEMBERS = 5


# A moment cited for a theme is close to its centre first, strongly felt second.
_INTENSITY_WEIGHT = 0.5


# dream ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cluster:
    members: list[MomentContext]  # most salient first
    terms: list[str]  # most distinctive first


@dataclass(frozen=True)
class Theme(_Cluster):
    name: str
    keyword: str  # the one word standing for the theme in the title and the dream phrase
    thread: ContinuityContext | None  # the open thread it continues


def cited_moments(theme: _Cluster) -> list[MomentContext]:
    """The moments a theme cites: its most salient, one per sigil phrase (a review lists
    cited moments by phrase, and the same phrase twice reads as the same moment twice)."""
    by_phrase: dict[str, MomentContext] = {}
    for moment in theme.members:
        by_phrase.setdefault(" ".join(moment.sigil_phrase.casefold().split()), moment)
        if len(by_phrase) == CITED_PER_THEME:
            break
    return list(by_phrase.values())


def _intensity(moment: MomentContext) -> float:
    return min(1.0, math.hypot(moment.valence, moment.arousal) / math.sqrt(2))


def _document(moment: MomentContext) -> list[str]:
    """A moment's terms for clustering. The sigil phrase distils what the moment was about,
    so its terms count several times."""
    return content_terms(moment.text) + content_terms(moment.sigil_phrase) * _PHRASE_WEIGHT


def find_themes(moments: Sequence[MomentContext]) -> list[_Cluster]:
    """Clusters of the material, largest first, each with its members ranked by salience:
    closeness to the cluster's centre, and (weighing less) emotional intensity."""
    # numpy and scipy cost tens of MB and a fraction of a second to import: only a dream
    # pays for them, never a readiness check or a cron tick that records a skip.
    import numpy as np

    documents = [_document(moment) for moment in moments]
    if not any(documents):
        by_intensity = sorted(moments, key=lambda moment: -_intensity(moment))
        return [_Cluster(by_intensity, [])]
    # Moments with nothing to name (a quiet room) belong to no theme.
    moments = [moment for moment, document in zip(moments, documents, strict=True) if document]
    documents = [document for document in documents if document]
    intensity = np.array([_intensity(moment) for moment in moments])
    matrix, vocabulary = tf_idf(documents)
    distinct_documents = len({tuple(sorted(document)) for document in documents})
    # A handful of moments holds one theme, a few dozen can hold five; k-means cannot find
    # more clusters than there are different documents.
    limit = min(_MAX_THEMES, round(math.sqrt(len(moments) / 2)), distinct_documents)
    labels, centres = best_clustering(matrix, limit)
    norms = np.linalg.norm(centres, axis=1)
    # Rows are unit vectors, so this is each moment's cosine similarity to its own centre.
    along = np.asarray((matrix @ centres.T)[np.arange(len(moments)), labels]).ravel()
    closeness = np.divide(along, norms[labels], out=np.zeros_like(along), where=norms[labels] > 0)
    # What sets a theme apart is what its centre has more of than the other centres.
    others = (centres.sum(axis=0) - centres) / max(1, len(centres) - 1)
    distinctive = centres - others if len(centres) > 1 else centres
    # Sigil phrases speak of what moments were about; the rest of the text also of how they
    # were written. Names come from phrase terms first.
    in_phrases = {term for moment in moments for term in content_terms(moment.sigil_phrase)}
    clusters = []
    for label in range(len(centres)):
        index = np.flatnonzero(labels == label)
        if not len(index):
            continue
        salience = closeness[index] + _INTENSITY_WEIGHT * intensity[index]
        ranked = [
            vocabulary[j]
            for j in np.argsort(-distinctive[label], kind="stable")
            if distinctive[label, j] > 0
        ]
        ranked.sort(key=lambda term: term not in in_phrases)
        clusters.append(
            _Cluster(
                [moments[i] for i in index[np.argsort(-salience, kind="stable")]],
                ranked[:_TERMS_PER_THEME],
            )
        )
    return sorted(clusters, key=lambda cluster: -len(cluster.members))


def _stem(term: str) -> str:
    """Enough stemming to match "wave" with "waves" when comparing names."""
    return term[:-1] if len(term) > 3 and term.endswith("s") and not term.endswith("ss") else term


def _thread_matches(
    clusters: Sequence[_Cluster], continuity: Sequence[ContinuityContext]
) -> dict[int, tuple[ContinuityContext, str]]:
    """Which open thread each cluster continues (by cluster index), and the shared term.

    A thread continues the cluster whose top terms include a word of its name; the best
    ranked such terms are matched first, and each thread continues one cluster at most.
    """
    candidates = []
    for cluster_index, cluster in enumerate(clusters):
        stems = [_stem(term) for term in cluster.terms]
        for thread_index, thread in enumerate(continuity):
            words = {_stem(term) for term in word_terms(thread.name)}
            rank = next((rank for rank, stem in enumerate(stems) if stem in words), None)
            if rank is not None:
                candidates.append((rank, cluster_index, thread_index))
    matches: dict[int, tuple[ContinuityContext, str]] = {}
    continued: set[int] = set()
    for rank, cluster_index, thread_index in sorted(candidates):
        if cluster_index not in matches and thread_index not in continued:
            matches[cluster_index] = (continuity[thread_index], clusters[cluster_index].terms[rank])
            continued.add(thread_index)
    return matches


def name_themes(
    clusters: Sequence[_Cluster], continuity: Sequence[ContinuityContext]
) -> list[Theme]:
    """Open threads keep their names when their theme recurs; other themes are named by
    their two most distinctive terms not already naming another theme."""
    matches = _thread_matches(clusters, continuity)
    used = {_stem(term) for thread, _ in matches.values() for term in word_terms(thread.name)}
    themes = []
    for index, cluster in enumerate(clusters):
        if index in matches:
            thread, term = matches[index]
            terms = [term, *(other for other in cluster.terms if other != term)]
            themes.append(Theme(cluster.members, terms, thread.name, term, thread))
            continue
        words = [term for term in cluster.terms if _stem(term) not in used][:2] or cluster.terms[:2]
        used.update(map(_stem, words))
        name, keyword = _pair_name(words, cluster.members)
        themes.append(Theme(cluster.members, cluster.terms, name or STILLNESS, keyword, None))
    return themes


def _pair_name(words: Sequence[str], members: Sequence[MomentContext]) -> tuple[str, str]:
    """A name of two words, as the members' sigil phrases put them ("old man") or else
    joined by "and", and the word that stands for it: the head of a phrase ("man")."""
    if len(words) < 2:
        return "".join(words), "".join(words)
    pairs = {(words[0], words[1]), (words[1], words[0])}
    for moment in members:
        adjacent = next(
            (pair for pair in pairwise(moment.sigil_phrase.lower().split()) if pair in pairs),
            None,
        )
        if adjacent:
            return " ".join(adjacent), adjacent[1]
    return " and ".join(words), words[0]
