"""The batch's pain.008.001.02 file: valid against the schema (checked here with xmlschema,
not only by sepaxml) and carrying the right amounts, accounts, mandates and dates."""

from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sepaxml
import xmlschema

from marmots.debits import actions
from marmots.debits.models import DebitItem

from .conftest import COLLECTION, CREDITOR_IBAN, CREDITOR_ICS, IBAN_A, IBAN_B, NOVEMBER

pytestmark = pytest.mark.django_db
SCHEMA = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.02.xsd"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(SCHEMA))


def parsed(batch, schema):
    """The file as a tree, after checking it against the schema."""
    schema.validate(batch.xml)
    return ElementTree.fromstring(batch.xml.encode())


def texts(tree, path):
    return [node.text for node in tree.findall(path, NS)]


@pytest.fixture
def batch(creditor, mandate_a, mandate_b, invoices, manager):
    return actions.make_batch(creditor.structure, NOVEMBER, manager)


def test_the_file_is_valid_pain_008(batch, schema):
    assert schema.is_valid(batch.xml)
    assert batch.xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_the_header_counts_and_sums(batch, schema):
    tree = parsed(batch, schema)
    header = "p:CstmrDrctDbtInitn/p:GrpHdr/"
    assert texts(tree, header + "p:MsgId") == [batch.message_id]
    assert texts(tree, header + "p:NbOfTxs") == ["3"]
    assert texts(tree, header + "p:CtrlSum") == ["76.00"]
    assert texts(tree, header + "p:InitgPty/p:Nm") == ["Les Petits Montagnards"]
    assert batch.total == Decimal("76.00")


def test_the_transactions(batch, schema, invoices, mandate_a, mandate_b):
    tree = parsed(batch, schema)
    block = tree.find("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    assert texts(block, "p:PmtMtd") == ["DD"]
    assert texts(block, "p:PmtTpInf/p:SeqTp") == ["FRST"]  # neither mandate was collected
    assert texts(block, "p:PmtTpInf/p:LclInstrm/p:Cd") == ["CORE"]
    assert texts(block, "p:ReqdColltnDt") == [COLLECTION.isoformat()]
    assert texts(block, "p:CdtrAcct/p:Id/p:IBAN") == [CREDITOR_IBAN]
    assert texts(block, "p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id") == [CREDITOR_ICS]
    assert texts(block, "p:NbOfTxs") == ["3"] and texts(block, "p:CtrlSum") == ["76.00"]
    rows = [
        (
            tx.find("p:PmtId/p:EndToEndId", NS).text,
            tx.find("p:InstdAmt", NS).text,
            tx.find("p:InstdAmt", NS).get("Ccy"),
            tx.find("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", NS).text,
            tx.find("p:DrctDbtTx/p:MndtRltdInf/p:DtOfSgntr", NS).text,
            tx.find("p:DbtrAcct/p:Id/p:IBAN", NS).text,
            tx.find("p:DbtrAgt/p:FinInstnId/p:BIC", NS).text,
            tx.find("p:Dbtr/p:Nm", NS).text,
        )
        for tx in block.findall("p:DrctDbtTxInf", NS)
    ]
    a1, a2, b = invoices
    a, sep_1 = (mandate_a.reference, "2026-09-01"), (IBAN_A, "PSSTFRPPLYO", "Claire Martin")
    b_mandate = (mandate_b.reference, "2026-10-15")
    b_account = (IBAN_B, "COBADEFFXXX", "Paul Bernard")
    n = f"-{batch.pk}"  # the EndToEndId: the invoice in this batch
    assert sorted(rows) == sorted(
        [
            (a1.reference + n, "22.90", "EUR", *a, *sep_1),
            (a2.reference + n, "5.10", "EUR", *a, *sep_1),
            (b.reference + n, "48.00", "EUR", *b_mandate, *b_account),
        ]
    )


def test_first_and_recurring_debits_go_in_two_blocks(
    creditor, mandate_a, mandate_b, invoices, manager, time_machine, schema
):
    mandate_a.first_collected_on = NOVEMBER
    mandate_a.save()

    batch = actions.make_batch(creditor.structure, NOVEMBER, manager)

    tree = parsed(batch, schema)
    blocks = {
        b.find("p:PmtTpInf/p:SeqTp", NS).text: b
        for b in tree.findall("p:CstmrDrctDbtInitn/p:PmtInf", NS)
    }
    assert set(blocks) == {"FRST", "RCUR"}
    assert texts(blocks["RCUR"], "p:CtrlSum") == ["28.00"]  # A's two invoices
    assert texts(blocks["RCUR"], "p:NbOfTxs") == ["2"]
    assert texts(blocks["FRST"], "p:CtrlSum") == ["48.00"]
    assert texts(tree, "p:CstmrDrctDbtInitn/p:GrpHdr/p:CtrlSum") == ["76.00"]
    assert dict(DebitItem.objects.values_list("mandate__family__name", "sequence_type")) == {
        "Martin": "RCUR",
        "Bernard": "FRST",
    }


def test_accents_are_spelled_out_in_the_file(
    creditor, structure, family_a, invoices, manager, schema
):
    actions.create_mandate(
        structure,
        family_a,
        manager,
        holder="Hélène Müller-Jørgensen",
        iban=IBAN_A,
        bic="PSSTFRPPLYO",
        signed_on=NOVEMBER,
    )
    batch = actions.make_batch(structure, NOVEMBER, manager)
    tree = parsed(batch, schema)
    names = set(texts(tree, "p:CstmrDrctDbtInitn/p:PmtInf/p:DrctDbtTxInf/p:Dbtr/p:Nm"))
    assert names == {"Helene Muller-Jorgensen"}
