import datetime
from types import SimpleNamespace as NS

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marmots.families import rules

TODAY = datetime.date(2026, 11, 20)
NOON = datetime.datetime(2026, 11, 1, 12, tzinfo=datetime.UTC)


def doc(status="accepted", valid_until=None, doc_type_id=1, child_id=None, hours=0):
    return NS(
        status=status,
        valid_until=valid_until,
        doc_type_id=doc_type_id,
        child_id=child_id,
        uploaded_at=NOON + datetime.timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("status", "valid_until", "expected"),
    [
        ("pending", None, "pending"),
        ("pending", datetime.date(2020, 1, 1), "pending"),
        ("refused", None, "refused"),
        ("refused", datetime.date(2030, 1, 1), "refused"),
        ("accepted", None, "accepted"),
        ("accepted", TODAY + datetime.timedelta(days=31), "accepted"),
        ("accepted", TODAY + datetime.timedelta(days=30), "expiring"),
        ("accepted", TODAY + datetime.timedelta(days=1), "expiring"),
        ("accepted", TODAY, "expiring"),
        ("accepted", TODAY - datetime.timedelta(days=1), "expired"),
    ],
)
def test_document_state(status, valid_until, expected):
    assert rules.document_state(doc(status, valid_until), TODAY) == expected


@given(st.integers(min_value=-400, max_value=400))
def test_accepted_document_state_depends_only_on_days_left(days):
    state = rules.document_state(doc(valid_until=TODAY + datetime.timedelta(days=days)), TODAY)
    expected = "expired" if days < 0 else "expiring" if days <= 30 else "accepted"
    assert state == expected


def test_best_document_prefers_a_valid_one_then_the_latest():
    refused = doc("refused", hours=5)
    pending = doc("pending", hours=3)
    accepted = doc("accepted", hours=1)
    assert rules.best_document([refused, pending, accepted], TODAY) is accepted
    assert rules.best_document([refused, pending], TODAY) is pending
    newer, older = doc("refused", hours=9), doc("refused", hours=2)
    assert rules.best_document([older, newer], TODAY) is newer
    assert rules.best_document([], TODAY) is None


def test_a_pending_replacement_outranks_an_expiring_document():
    expiring = doc(valid_until=TODAY + datetime.timedelta(days=3))
    replacement = doc("pending", hours=1)
    assert rules.best_document([expiring, replacement], TODAY) is replacement


def test_document_rows_per_family_and_per_child():
    insurance = NS(pk=1, per_child=False)
    vaccines = NS(pk=2, per_child=True)
    lea, hugo = NS(pk=10), NS(pk=11)
    uploaded = [doc(doc_type_id=1), doc("pending", doc_type_id=2, child_id=10)]
    required = {(1, 10), (2, 10), (2, 11)}
    rows = rules.document_rows([insurance, vaccines], [lea, hugo], uploaded, TODAY, required)
    assert [(t.pk, c.pk if c else None, state) for t, c, _, state in rows] == [
        (1, None, "accepted"),
        (2, 10, "pending"),
        (2, 11, "missing"),
    ]


def test_document_rows_not_asked_by_any_enrollment_are_optional():
    insurance = NS(pk=1, per_child=False)
    pai = NS(pk=3, per_child=True)
    lea, hugo = NS(pk=10), NS(pk=11)
    rows = rules.document_rows([insurance, pai], [lea, hugo], [], TODAY, {(3, 10)})
    assert [(t.pk, c.pk if c else None, state) for t, c, _, state in rows] == [
        (1, None, "optional"),
        (3, 10, "missing"),
        (3, 11, "optional"),
    ]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 1, 31), 1, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 11, 20), 12, datetime.date(2027, 11, 20)),
        (datetime.date(2026, 12, 15), 1, datetime.date(2027, 1, 15)),
        (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 5, 1), 0, datetime.date(2026, 5, 1)),
    ],
)
def test_add_months(day, months, expected):
    assert rules.add_months(day, months) == expected


def test_default_valid_until():
    assert rules.default_valid_until(TODAY, None) is None
    assert rules.default_valid_until(TODAY, 0) is None
    assert rules.default_valid_until(TODAY, 12) == datetime.date(2027, 11, 19)


def test_fields_needing_validation_is_the_union_over_structures():
    a = NS(child_fields_needing_validation=["allergies", "pai"])
    b = NS(child_fields_needing_validation=["pai", "birth_date"])
    none = NS(child_fields_needing_validation=None)
    assert rules.fields_needing_validation([a, b, none]) == {"allergies", "pai", "birth_date"}
    assert rules.fields_needing_validation([]) == frozenset()


def test_diff_and_split():
    current = {"school": "Mieussy", "allergies": "", "pai": False}
    new = {"school": "Mieussy", "allergies": "arachide", "pai": True}
    changes = rules.diff(current, new)
    assert changes == {
        "allergies": {"old": "", "new": "arachide"},
        "pai": {"old": False, "new": True},
    }
    immediate, pending = rules.split_changes(changes, {"pai"})
    assert immediate == {"allergies": {"old": "", "new": "arachide"}}
    assert pending == {"pai": {"old": False, "new": True}}
    assert rules.diff(current, dict(current)) == {}


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 3)),
    st.sets(st.sampled_from("abcdef")),
)
def test_split_changes_partitions(changes, needing):
    immediate, pending = rules.split_changes(changes, needing)
    assert immediate.keys() | pending.keys() == changes.keys()
    assert not immediate.keys() & pending.keys()
    assert set(pending) <= needing


@pytest.mark.parametrize(
    ("birth_date", "ok"),
    [
        (TODAY, True),
        (datetime.date(2019, 5, 14), True),
        (TODAY + datetime.timedelta(days=1), False),
        (datetime.date(2008, 11, 20), True),
        (datetime.date(2008, 11, 19), False),
        (datetime.date(1920, 1, 1), False),
    ],
)
def test_birth_date_problem(birth_date, ok):
    problem = rules.birth_date_problem(birth_date, TODAY)
    assert (problem is None) == ok
    if problem:
        assert "date de naissance" in problem.lower()


def test_quotient_state():
    q = NS(valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2026, 12, 31))
    assert rules.quotient_state(None, TODAY) == "missing"
    assert rules.quotient_state(q, TODAY) == "valid"
    assert rules.quotient_state(q, datetime.date(2027, 1, 1)) == "expired"
    assert rules.quotient_state(q, datetime.date(2025, 12, 31)) == "future"
