"""The enrollment certificate ("attestation d'inscription"), a PDF rendered by WeasyPrint."""

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from .models import Enrollment


def certificate_filename(enrollment):
    child = enrollment.child
    name = slugify(f"{child.last_name} {child.first_name}")
    return f"attestation-inscription-{name}-{enrollment.pk}.pdf"


def certificate_pdf(enrollment, *, issued_on=None) -> bytes:
    """The certificate of a validated enrollment, as PDF bytes."""
    from weasyprint import HTML

    if enrollment.status != Enrollment.VALIDATED:
        raise ValidationError("Une attestation n'est délivrée que pour une inscription validée.")
    html = render_to_string(
        "enrollments/certificate.html",
        {
            "enrollment": enrollment,
            "child": enrollment.child,
            "structure": enrollment.activity.structure,
            "issued_on": issued_on or timezone.localdate(),
        },
    )
    return HTML(string=html).write_pdf()
