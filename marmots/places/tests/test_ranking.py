"""The ranking against a table worked out by hand (default points: enrolled 3, siblings 2,
working 2, resident 2, special needs 3)."""

import datetime

from marmots.places.ranking import Candidate, rank

POINTS = {"enrolled": 3, "siblings": 2, "working": 2, "resident": 2, "special_needs": 3}


def when(day, hour, minute=0):
    return datetime.datetime(2026, 11, day, hour, minute, tzinfo=datetime.UTC)


# id, first sent, criteria met, expected score (summed by hand), expected rank
TABLE = [
    (1, when(24, 10), {"enrolled", "working"}, 5, 4),
    (2, when(24, 9), {"siblings", "resident"}, 4, 6),
    (3, when(25, 8), {"special_needs", "enrolled"}, 6, 3),
    (4, when(23, 21), {"working", "resident"}, 4, 5),
    (5, when(26, 7), set(), 0, 9),
    (6, when(23, 20, 30), set(), 0, 8),
    (7, when(24, 10), {"working", "siblings", "resident"}, 6, 2),
    (8, when(27, 18), {"enrolled", "siblings", "working", "resident", "special_needs"}, 12, 1),
    # Same score and same second as request 2: the id decides.
    (9, when(24, 9), {"resident", "siblings"}, 4, 7),
]


def test_table_computed_by_hand():
    candidates = [Candidate(i, at, frozenset(met)) for i, at, met, _, _ in TABLE]
    result = rank(candidates, POINTS)
    assert [(r.id, r.rank, r.score) for r in result] == sorted(
        [(i, expected_rank, score) for i, _, _, score, expected_rank in TABLE],
        key=lambda row: row[1],
    )
    assert [r.id for r in result] == [8, 7, 3, 1, 4, 2, 9, 6, 5]


def test_ties_go_to_the_earliest_request():
    early, late = when(24, 9), when(24, 9, 1)
    result = rank([Candidate(1, late, frozenset()), Candidate(2, early, frozenset())], POINTS)
    assert [(r.id, r.rank) for r in result] == [(2, 1), (1, 2)]


def test_criteria_kept_with_labels_and_points_in_a_fixed_order():
    (result,) = rank([Candidate(1, when(24, 9), frozenset({"resident", "enrolled"}))], POINTS)
    assert result.criteria == (
        ("enrolled", "Enfant déjà inscrit à la structure cette année", 3),
        ("resident", "Résident de la commune", 2),
    )
    assert result.as_json()[1] == {
        "code": "resident",
        "label": "Résident de la commune",
        "points": 2,
    }


def test_manager_points_change_the_order_and_zero_points_do_not_count():
    points = {**POINTS, "resident": 0, "working": 5}
    candidates = [
        Candidate(1, when(23, 21), frozenset({"enrolled", "resident"})),  # 3 (resident: 0)
        Candidate(2, when(25, 9), frozenset({"working"})),  # 5
        Candidate(3, when(24, 9), frozenset({"special_needs"})),  # 3, later than 1
    ]
    result = rank(candidates, points)
    assert [(r.id, r.rank, r.score) for r in result] == [(2, 1, 5), (1, 2, 3), (3, 3, 3)]
    assert [code for code, _, _ in result[1].criteria] == ["enrolled"]


def test_no_candidate():
    assert rank([], POINTS) == []
