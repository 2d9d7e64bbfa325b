"""Pure rules for enrollments: requested dates and what a family's file lacks.

No database access: callers pass plain values or model instances already loaded.
Documents are read through `doc_type_id`, `child_id`, `status` and `valid_until`;
document types through `id`, `name` and `per_child`; children through `id`,
`first_name` and `info_checked_at`.
"""

ACCEPTED = "accepted"
PENDING = "pending"


def fr_date(day):
    return f"{day:%d/%m/%Y}"


def date_errors(start_date, end_date, *, today, period_start=None, period_end=None):
    """French messages for requested dates that cannot be accepted (empty when they can)."""
    if start_date is None or end_date is None:
        return ["Indiquez la date de début et la date de fin."]
    errors = []
    if end_date < start_date:
        errors.append("La date de fin doit être postérieure ou égale à la date de début.")
    if start_date < today:
        errors.append("La date de début ne peut pas être dans le passé.")
    if period_start is not None and period_end is not None:
        if start_date < period_start or end_date > period_end:
            errors.append(
                f"Les dates doivent être comprises dans la période, du {fr_date(period_start)} "
                f"au {fr_date(period_end)}."
            )
    return errors


def is_valid_on(document, on_date):
    """An accepted document whose validity has not ended on `on_date`."""
    return document.status == ACCEPTED and (
        document.valid_until is None or document.valid_until >= on_date
    )


def _documents_for(doc_type, documents, child_id):
    """The documents that can stand for `doc_type` (for `child_id` when it is per child)."""
    return [
        d
        for d in documents
        if d.doc_type_id == doc_type.id and (not doc_type.per_child or d.child_id == child_id)
    ]


def missing_documents(required_types, documents, on_date, *, child_id=None):
    """Required document types with no accepted, unexpired document on `on_date`.

    A type marked `per_child` needs a document for the child `child_id`; other types need one
    document for the whole family, whichever child it may name.
    """
    return [
        t
        for t in required_types
        if not any(is_valid_on(d, on_date) for d in _documents_for(t, documents, child_id))
    ]


def _document_problem(doc_type, candidates, on_date, who=""):
    suffix = f" ({who})" if who else ""
    if any(d.status == ACCEPTED for d in candidates):
        return f"{doc_type.name}{suffix} : pièce expirée, à renouveler."
    if any(d.status == PENDING for d in candidates):
        return f"{doc_type.name}{suffix} : pièce déposée, en attente de vérification."
    return f"{doc_type.name}{suffix} : pièce manquante."


def document_problems(required_types, documents, children, on_date):
    """One French message per missing document (family-wide, then per child)."""
    problems = []
    for doc_type in missing_documents(
        [t for t in required_types if not t.per_child], documents, on_date
    ):
        candidates = _documents_for(doc_type, documents, None)
        problems.append(_document_problem(doc_type, candidates, on_date))
    per_child = [t for t in required_types if t.per_child]
    for child in children:
        for doc_type in missing_documents(per_child, documents, on_date, child_id=child.id):
            candidates = _documents_for(doc_type, documents, child.id)
            problems.append(_document_problem(doc_type, candidates, on_date, child.first_name))
    return problems


def file_problems(*, required_types, documents, children, on_date, has_quotient):
    """French messages describing what the family's file lacks for an activity.

    The quotient message is a warning: the enrollment may be validated without it, the family
    is then priced in the top bracket.
    """
    problems = document_problems(required_types, documents, children, on_date)
    for child in children:
        if child.info_checked_at is None:
            problems.append(
                f"Les informations de {child.first_name} n'ont jamais été vérifiées par la famille."
            )
    if not has_quotient:
        problems.append(
            "Avertissement : aucun quotient familial valable, le tarif le plus élevé s'appliquera."
        )
    return problems
