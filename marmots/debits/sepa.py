"""The pain.008.001.02 file of a batch of direct debits, written by sepaxml and validated
against the schema sepaxml ships (xmlschema). One payment information block per sequence type
(FRST, RCUR), all on the batch's collection date."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import sepaxml
from django.core.exceptions import ValidationError
from sepaxml import SepaDD

SCHEMA = "pain.008.001.02"
SCHEMA_FILE = Path(sepaxml.__file__).parent / "schemas" / f"{SCHEMA}.xsd"


@cache
def schema():
    """The schema sepaxml ships, loaded once (sepaxml would load it for every file)."""
    import xmlschema  # imported late, as sepaxml does: it patches ElementTree when loaded

    return xmlschema.XMLSchema(str(SCHEMA_FILE))


@dataclass
class Debit:
    """One transaction of the file."""

    holder: str
    iban: str
    bic: str
    amount: Decimal
    sequence_type: str
    mandate_reference: str
    signed_on: datetime.date
    end_to_end_id: str
    description: str


def cents(amount):
    """Decimal('12.50') -> 1250, exactly (sepaxml counts in cents)."""
    return int((Decimal(amount) * 100).to_integral_value())


def build(creditor, collection_date, debits):
    """(message id, XML text) of the file; `creditor` has creditor_name, creditor_id, iban
    and bic (the structure's `DebitSettings`)."""
    document = SepaDD(
        {
            "name": creditor.creditor_name,
            "IBAN": creditor.iban,
            "BIC": creditor.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
        },
        schema=SCHEMA,
        clean=True,
    )
    for debit in debits:
        document.add_payment(
            {
                "name": debit.holder,
                "IBAN": debit.iban,
                "BIC": debit.bic,
                "amount": cents(debit.amount),
                "type": debit.sequence_type,
                "collection_date": collection_date,
                "mandate_id": debit.mandate_reference,
                "mandate_date": debit.signed_on,
                "description": debit.description,
                "endtoend_id": debit.end_to_end_id,
            }
        )
    xml = document.export(validate=False)
    if not schema().is_valid(xml.decode()):
        raise ValidationError(
            "Le fichier de prélèvements ne respecte pas le format SEPA : vérifiez les "
            "réglages du créancier et les mandats."
        )
    return document.msg_id, xml.decode()
