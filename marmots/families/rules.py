"""Pure rules about family data: no database access, plain values in, plain values out."""

import calendar
import datetime

EXPIRING_WITHIN_DAYS = 30

ACCEPTED = "accepted"
REFUSED = "refused"
PENDING = "pending"
EXPIRING = "expiring"
EXPIRED = "expired"
MISSING = "missing"
OPTIONAL = "optional"

# Which document to show for a document type when the family has several: the first state in
# this list wins, then the most recent upload.
STATE_PRIORITY = [ACCEPTED, PENDING, EXPIRING, EXPIRED, REFUSED]


def document_state(document, today):
    """The state of one uploaded document on `today`.

    "pending" and "refused" follow the manager's review; an accepted document is "expired" after
    its `valid_until`, "expiring" when that date is at most 30 days away, else "accepted".
    """
    if document.status == PENDING:
        return PENDING
    if document.status == REFUSED:
        return REFUSED
    if document.valid_until is None:
        return ACCEPTED
    if document.valid_until < today:
        return EXPIRED
    if (document.valid_until - today).days <= EXPIRING_WITHIN_DAYS:
        return EXPIRING
    return ACCEPTED


def best_document(documents, today):
    """The document that stands for its type: by STATE_PRIORITY, then the latest upload."""
    documents = list(documents)
    if not documents:
        return None
    return min(
        documents,
        key=lambda d: (
            STATE_PRIORITY.index(document_state(d, today)),
            -d.uploaded_at.timestamp(),
        ),
    )


def document_rows(doc_types, children, documents, today, required):
    """One row per document type (per child for per-child types) with its best document.

    `required` holds the (doc_type id, child id) pairs that an enrollment of the child asks
    for; family-wide types count as required when any child's enrollment asks for them.
    Returns a list of (doc_type, child or None, document or None, state) where state is one of
    the document states, "missing" (required, none sent) or "optional" (not required, none sent).
    """
    required_types = {type_id for type_id, _ in required}
    rows = []
    for doc_type in doc_types:
        targets = list(children) if doc_type.per_child else [None]
        for child in targets:
            candidates = [
                d
                for d in documents
                if d.doc_type_id == doc_type.pk and (child is None or d.child_id == child.pk)
            ]
            best = best_document(candidates, today)
            needed = (doc_type.pk, child.pk) in required if child else doc_type.pk in required_types
            state = document_state(best, today) if best else (MISSING if needed else OPTIONAL)
            rows.append((doc_type, child, best, state))
    return rows


def add_months(day, months):
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def default_valid_until(accepted_on, validity_months):
    """End of validity of a document accepted on `accepted_on` (None: no limit)."""
    if not validity_months:
        return None
    return add_months(accepted_on, validity_months) - datetime.timedelta(days=1)


def fields_needing_validation(structures):
    """Child fields any of the family's structures wants to validate before they apply."""
    fields = set()
    for structure in structures:
        fields.update(structure.child_fields_needing_validation or [])
    return frozenset(fields)


def diff(current, new):
    """{field: {"old": ..., "new": ...}} for every field of `new` whose value differs."""
    return {
        field: {"old": current.get(field), "new": value}
        for field, value in new.items()
        if current.get(field) != value
    }


def split_changes(changes, needing_validation):
    """(applied at once, waiting for the manager) from a diff."""
    immediate = {k: v for k, v in changes.items() if k not in needing_validation}
    pending = {k: v for k, v in changes.items() if k in needing_validation}
    return immediate, pending


def birth_date_problem(birth_date, today, max_age=18):
    """A French message if the birth date cannot be a child's, else None."""
    if birth_date > today:
        return "La date de naissance ne peut pas être dans le futur."
    if birth_date < add_months(today, -12 * max_age):
        return f"La date de naissance indique plus de {max_age} ans : vérifiez l'année."
    return None


def quotient_state(quotient, today):
    """'missing', 'valid', 'expired' or 'future' for the family's last quotient."""
    if quotient is None:
        return MISSING
    if quotient.valid_until < today:
        return EXPIRED
    if quotient.valid_from > today:
        return "future"
    return "valid"
