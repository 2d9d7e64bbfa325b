"""Back-office fixtures: rows of the persona structure and of the other structure."""

import pytest
from django.core.files.base import ContentFile

from marmots.families.models import ChangeRequest, FamilyDocument
from tests import factories as f

# The smallest file `filetype` recognises as a PDF.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def other_family(other_structure):
    family = f.FamilyFactory(name="Dupuis", structures=[other_structure])
    f.GuardianFactory(family=family, user__email="marc.dupuis@example.org")
    f.ChildFactory(family=family, first_name="Zoé")
    return family


@pytest.fixture
def doc_type(structure):
    return f.DocumentTypeFactory(structure=structure, name="Attestation d'assurance")


@pytest.fixture
def activity(structure, doc_type):
    activity = f.ActivityFactory(structure=structure, name="Cirque des Montagnards")
    activity.required_documents.add(doc_type)
    f.TimeSlotFactory(activity=activity)
    return activity


@pytest.fixture
def other_activity(other_structure):
    return f.ActivityFactory(structure=other_structure, name="Mercredis à Taninges")


@pytest.fixture
def period(structure):
    return f.PeriodFactory(structure=structure)


@pytest.fixture
def other_period(other_structure):
    return f.PeriodFactory(structure=other_structure, name="Année de Taninges")


def make_document(family, doc_type, uploader=None):
    document = FamilyDocument(
        family=family,
        doc_type=doc_type,
        original_name="assurance.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        uploaded_by=uploader,
    )
    document.file.save("assurance.pdf", ContentFile(PDF_BYTES), save=False)
    document.save()
    return document


@pytest.fixture
def document(family_a, doc_type, guardian_a):
    return make_document(family_a, doc_type, guardian_a.user)


@pytest.fixture
def change_request(family_a, child_a, guardian_a):
    return ChangeRequest.objects.create(
        family=family_a,
        child=child_a,
        changes={"allergies": {"old": "", "new": "Arachide"}, "pai": {"old": False, "new": True}},
        created_by=guardian_a.user,
    )
