"""E-mails about accounts, sent by the task worker (at once in the demo and the tests)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from marmots.core.context_processors import current_structure

from .models import User


def structure_of(user):
    """The structure that speaks to this person: their family's, else the instance's first."""
    guardian = getattr(user, "guardian", None)
    if guardian is not None:
        structure = guardian.family.structures.order_by("id").first()
        if structure is not None:
            return structure
    return current_structure()


def _send(template, to, context, html=False):
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context)
    context = {**context, "subject": " ".join(subject.split())}
    body = render_to_string(f"accounts/email/{template}.txt", context).strip() + "\n"
    message = EmailMultiAlternatives(context["subject"], body, to=[to])
    if html:
        message.attach_alternative(
            render_to_string(f"accounts/email/{template}.html", context), "text/html"
        )
    message.send()


@task()
def send_account_link_email(user_id, purpose):
    from .links import link_url, validity_text

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    context = {
        "user": user,
        "purpose": purpose,
        "url": link_url(user, purpose),
        "forgot_url": settings.SITE_URL.rstrip("/") + reverse("accounts:forgot_password"),
        "validity": validity_text(),
        "structure": structure_of(user),
    }
    _send("link", user.email, context, html=True)


@task()
def send_email_changed_notices(user_id, old_email, new_email):
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    context = {
        "user": user,
        "old_email": old_email,
        "new_email": new_email,
        "structure": structure_of(user),
    }
    _send("email_changed_old", old_email, context)
    _send("email_changed_new", new_email, context)
