import datetime
from types import SimpleNamespace as NS

from hypothesis import given
from hypothesis import strategies as st

from marmots.enrollments import rules

D = datetime.date
TODAY = D(2026, 6, 15)
INSURANCE = NS(id=1, name="Attestation d'assurance", per_child=False)
VACCINES = NS(id=2, name="Carnet de vaccinations", per_child=True)
LEA = NS(id=10, first_name="Léa", info_checked_at=datetime.datetime(2026, 6, 1, 10, 0))
TOM = NS(id=11, first_name="Tom", info_checked_at=None)


def doc(doc_type, status="accepted", valid_until=None, child_id=None):
    return NS(doc_type_id=doc_type.id, status=status, valid_until=valid_until, child_id=child_id)


# -- dates ------------------------------------------------------------------------------------


def test_dates_in_order_and_in_the_future_are_accepted():
    assert rules.date_errors(D(2026, 9, 1), D(2027, 7, 3), today=TODAY) == []


def test_a_single_day_today_is_accepted():
    assert rules.date_errors(TODAY, TODAY, today=TODAY) == []


def test_end_before_start_is_refused():
    errors = rules.date_errors(D(2026, 9, 2), D(2026, 9, 1), today=TODAY)
    assert errors == ["La date de fin doit être postérieure ou égale à la date de début."]


def test_start_in_the_past_is_refused():
    errors = rules.date_errors(D(2026, 6, 14), D(2026, 7, 1), today=TODAY)
    assert errors == ["La date de début ne peut pas être dans le passé."]


def test_missing_dates_are_refused():
    assert rules.date_errors(None, D(2026, 7, 1), today=TODAY) == [
        "Indiquez la date de début et la date de fin."
    ]


def test_dates_outside_the_period_are_refused_with_the_period_dates():
    errors = rules.date_errors(
        D(2026, 10, 16),
        D(2026, 10, 23),
        today=TODAY,
        period_start=D(2026, 10, 17),
        period_end=D(2026, 11, 1),
    )
    assert errors == [
        "Les dates doivent être comprises dans la période, du 17/10/2026 au 01/11/2026."
    ]


def test_the_whole_period_is_accepted():
    period = {"period_start": D(2026, 10, 17), "period_end": D(2026, 11, 1)}
    assert rules.date_errors(D(2026, 10, 17), D(2026, 11, 1), today=TODAY, **period) == []


days = st.dates(min_value=D(2025, 1, 1), max_value=D(2028, 12, 31))


@given(start=days, end=days, today=days)
def test_dates_are_accepted_exactly_when_ordered_and_not_past(start, end, today):
    errors = rules.date_errors(start, end, today=today)
    assert (errors == []) == (start <= end and start >= today)


@given(start=days, end=days, p1=days, p2=days)
def test_dates_within_a_period_are_accepted_exactly_when_inside(start, end, p1, p2):
    p_start, p_end = min(p1, p2), max(p1, p2)
    errors = rules.date_errors(
        start, end, today=D(2025, 1, 1), period_start=p_start, period_end=p_end
    )
    inside = p_start <= start <= end <= p_end
    assert (errors == []) == inside
    assert all(isinstance(e, str) and e for e in errors)


# -- documents --------------------------------------------------------------------------------


def test_an_accepted_document_without_end_date_is_enough():
    assert rules.missing_documents([INSURANCE], [doc(INSURANCE)], TODAY) == []


def test_a_document_valid_until_the_day_still_counts():
    assert rules.missing_documents([INSURANCE], [doc(INSURANCE, valid_until=TODAY)], TODAY) == []


def test_an_expired_document_is_missing():
    documents = [doc(INSURANCE, valid_until=TODAY - datetime.timedelta(days=1))]
    assert rules.missing_documents([INSURANCE], documents, TODAY) == [INSURANCE]


def test_pending_and_refused_documents_do_not_count():
    documents = [doc(INSURANCE, status="pending"), doc(INSURANCE, status="refused")]
    assert rules.missing_documents([INSURANCE], documents, TODAY) == [INSURANCE]


def test_a_document_of_another_type_does_not_count():
    assert rules.missing_documents([INSURANCE], [doc(VACCINES, child_id=10)], TODAY) == [INSURANCE]


def test_a_per_child_document_counts_only_for_its_child():
    documents = [doc(VACCINES, child_id=LEA.id)]
    assert rules.missing_documents([VACCINES], documents, TODAY, child_id=LEA.id) == []
    assert rules.missing_documents([VACCINES], documents, TODAY, child_id=TOM.id) == [VACCINES]


def test_a_family_document_may_name_any_child():
    documents = [doc(INSURANCE, child_id=LEA.id)]
    assert rules.missing_documents([INSURANCE], documents, TODAY, child_id=TOM.id) == []


documents_st = st.lists(
    st.builds(
        doc,
        st.sampled_from([INSURANCE, VACCINES]),
        status=st.sampled_from(["accepted", "pending", "refused"]),
        valid_until=st.none() | days,
        child_id=st.sampled_from([None, LEA.id, TOM.id]),
    ),
    max_size=6,
)


@given(documents=documents_st, on_date=days, child_id=st.sampled_from([LEA.id, TOM.id]))
def test_a_type_is_missing_exactly_when_no_document_stands_for_it(documents, on_date, child_id):
    missing = rules.missing_documents([INSURANCE, VACCINES], documents, on_date, child_id=child_id)
    for doc_type in (INSURANCE, VACCINES):
        covered = any(
            d.doc_type_id == doc_type.id
            and d.status == "accepted"
            and (d.valid_until is None or d.valid_until >= on_date)
            and (not doc_type.per_child or d.child_id == child_id)
            for d in documents
        )
        assert (doc_type in missing) == (not covered)


# -- the whole file ---------------------------------------------------------------------------


def problems(documents=(), children=(LEA,), has_quotient=True, required=(INSURANCE, VACCINES)):
    return rules.file_problems(
        required_types=list(required),
        documents=list(documents),
        children=list(children),
        on_date=TODAY,
        has_quotient=has_quotient,
    )


def test_a_complete_file_has_no_problem():
    assert problems([doc(INSURANCE), doc(VACCINES, child_id=LEA.id)]) == []


def test_a_missing_document_is_named():
    assert problems([doc(INSURANCE)]) == ["Carnet de vaccinations (Léa) : pièce manquante."]


def test_an_expired_document_is_told_apart_from_a_missing_one():
    documents = [doc(INSURANCE, valid_until=D(2026, 1, 1)), doc(VACCINES, child_id=LEA.id)]
    assert problems(documents) == ["Attestation d'assurance : pièce expirée, à renouveler."]


def test_a_document_waiting_for_review_is_told():
    documents = [doc(INSURANCE, status="pending"), doc(VACCINES, child_id=LEA.id)]
    assert problems(documents) == [
        "Attestation d'assurance : pièce déposée, en attente de vérification."
    ]


def test_each_child_needs_its_own_per_child_document_and_checked_information():
    result = problems([doc(INSURANCE), doc(VACCINES, child_id=LEA.id)], children=[LEA, TOM])
    assert result == [
        "Carnet de vaccinations (Tom) : pièce manquante.",
        "Les informations de Tom n'ont jamais été vérifiées par la famille.",
    ]


def test_no_quotient_is_a_warning():
    result = problems(required=(), has_quotient=False)
    assert result == [
        "Avertissement : aucun quotient familial valable, le tarif le plus élevé s'appliquera."
    ]


def test_no_requirement_and_checked_children_is_complete():
    assert problems(required=(), children=[LEA]) == []
