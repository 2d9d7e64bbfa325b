import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from marmots.enrollments.models import Enrollment
from marmots.enrollments.pdf import certificate_filename, certificate_pdf

from . import builders as b


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_certificate_names_the_structure_child_activity_and_dates(child_a, activity):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    text = pdf_text(certificate_pdf(enrollment, issued_on=datetime.date(2026, 6, 15)))
    assert "Attestation d'inscription" in text
    assert "Les Petits Montagnards" in text
    assert f"Léa {child_a.last_name}" in text
    assert "Périscolaire soir" in text
    assert "du 01/09/2026 au 03/07/2027" in text
    assert "le 15/06/2026" in text


@pytest.mark.parametrize("status", [Enrollment.PENDING, Enrollment.REFUSED])
def test_only_a_validated_enrollment_gets_a_certificate(child_a, activity, status):
    enrollment = b.enrollment(child_a, activity, status)
    with pytest.raises(ValidationError):
        certificate_pdf(enrollment)


def test_the_file_name_is_plain_ascii(child_a, activity):
    enrollment = b.enrollment(child_a, activity, Enrollment.VALIDATED)
    name = certificate_filename(enrollment)
    assert name.isascii() and name.endswith(f"-{enrollment.pk}.pdf") and "lea" in name
