"""Ranking of allocation requests by the manager's points. Pure: no Django import.

A request's score is the sum of the points of the criteria it meets. Requests are ranked by
score (highest first), then by the date of the request (the earliest first: the date a family
first sent its request, kept when it changes its days), then by id so that two requests never
share a rank. A criterion worth 0 points is left out of what is shown: it played no part.
"""

from dataclasses import dataclass

ENROLLED = "enrolled"
SIBLINGS = "siblings"
WORKING = "working"
RESIDENT = "resident"
SPECIAL_NEEDS = "special_needs"

# In the order they are shown, with their French label.
CRITERIA = [
    (ENROLLED, "Enfant déjà inscrit à la structure cette année"),
    (SIBLINGS, "Fratrie"),
    (WORKING, "Parents qui travaillent"),
    (RESIDENT, "Résident de la commune"),
    (SPECIAL_NEEDS, "Besoins particuliers"),
]
LABELS = dict(CRITERIA)
CODES = [code for code, _ in CRITERIA]


@dataclass(frozen=True)
class Candidate:
    """A request to rank: its id, when it was first sent, and the codes of the criteria met."""

    id: int
    requested_at: object
    met: frozenset = frozenset()


@dataclass(frozen=True)
class Ranked:
    id: int
    rank: int
    score: int
    criteria: tuple = ()  # ((code, French label, points), ...) in CRITERIA order

    def as_json(self):
        return [{"code": c, "label": label, "points": p} for c, label, p in self.criteria]


def criteria_met(met, points):
    """((code, label, points), ...) of the criteria in `met` worth something, in CRITERIA order."""
    return tuple(
        (code, label, points.get(code, 0))
        for code, label in CRITERIA
        if code in met and points.get(code, 0) > 0
    )


def rank(candidates, points):
    """[Ranked] best first. `points`: {criterion code: points}."""
    scored = []
    for candidate in candidates:
        criteria = criteria_met(candidate.met, points)
        score = sum(p for _, _, p in criteria)
        scored.append((candidate, score, criteria))
    scored.sort(key=lambda item: (-item[1], item[0].requested_at, item[0].id))
    return [
        Ranked(candidate.id, position, score, criteria)
        for position, (candidate, score, criteria) in enumerate(scored, start=1)
    ]
