"""Background work for enrollments: telling the family about the manager's decision."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django_tasks import task

from .models import Enrollment

SUBJECTS = {
    Enrollment.VALIDATED: "Votre demande d'inscription est validée",
    Enrollment.REFUSED: "Votre demande d'inscription n'a pas été acceptée",
}


@task()
def send_enrollment_decision(enrollment_id):
    """E-mail each guardian of the family (one message each) the decision on an enrollment."""
    enrollment = Enrollment.objects.select_related(
        "child__family", "activity__structure", "period"
    ).get(pk=enrollment_id)
    if enrollment.status not in SUBJECTS:
        return 0
    guardians = enrollment.child.family.guardians.filter(
        user__isnull=False, user__is_active=True
    ).select_related("user")
    context = {
        "enrollment": enrollment,
        "structure": enrollment.activity.structure,
        "portal_url": f"{settings.SITE_URL}/portail/inscriptions/",
    }
    body = render_to_string("enrollments/emails/decision.txt", context)
    subject = f"{SUBJECTS[enrollment.status]} – {enrollment.activity.structure.name}"
    messages = [EmailMessage(subject, body, to=[g.user.email]) for g in guardians]
    return get_connection().send_messages(messages) or 0
