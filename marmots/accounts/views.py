"""Login, account links and forgotten password. Thin views: parse, call, render."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from marmots.core.access import family_of, structures_of

from . import links
from .actions import set_password_from_link
from .forms import ChoosePasswordForm, EmailForm, LoginForm
from .ratelimit import authorize_link_request, client_ip

# As in Django's PasswordResetConfirmView: the token moves from the URL to the session, so
# the page where the password is typed has no secret in its URL (nor in any Referer).
LINK_SESSION_KEY = "_account_link_token"  # noqa: S105
LINK_FORM_TOKEN = "choisir"  # noqa: S105 (a placeholder, not a secret)
TOO_MANY_REQUESTS = (
    "Trop de demandes pour cette adresse. Patientez une heure avant de recommencer, "
    "ou contactez l'association."
)


def home_url(user):
    """Where a person lands once logged in: their family portal, or the back-office."""
    if family_of(user) is not None:
        return reverse("portal:home")
    if structures_of(user).exists():
        return reverse("backoffice:home")
    return reverse("portal:public_home")


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if safe else ""


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        return redirect(_next_url(request) or home_url(form.user))
    status = 429 if form.has_error(NON_FIELD_ERRORS, "rate_limited") else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/login.html", context, status=status)


@sensitive_post_parameters("password1", "password2")
@never_cache
def link(request, purpose, uidb64, token):
    purpose = links.clean_purpose(purpose)
    if purpose not in links.PURPOSES:
        raise Http404
    uidb64 = links.clean_uidb64(uidb64)
    on_form = token.strip("/") == LINK_FORM_TOKEN
    token = request.session.get(LINK_SESSION_KEY, "") if on_form else links.clean_token(token)
    check = links.check_link(purpose, uidb64, token)
    if check.status != links.VALID:
        return render(request, "accounts/link_problem.html", {"status": check.status})
    if not on_form:
        request.session[LINK_SESSION_KEY] = token
        return redirect("accounts:link", purpose=purpose, uidb64=uidb64, token=LINK_FORM_TOKEN)
    form = ChoosePasswordForm(check.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = set_password_from_link(check.user, form.cleaned_data["password1"], purpose)
        del request.session[LINK_SESSION_KEY]
        login(request, user)
        messages.success(request, "Votre mot de passe est enregistré : vous êtes connecté(e).")
        return redirect(home_url(user))
    context = {"form": form, "purpose": purpose, "account": check.user}
    return render(request, "accounts/link_form.html", context)


@never_cache
def forgot_password(request):
    form = EmailForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].lower()
        if authorize_link_request(email, client_ip(request)):
            links.request_link(email)
            return redirect("accounts:forgot_password_sent")
        form.add_error(None, TOO_MANY_REQUESTS)
        status = 429
    return render(request, "accounts/forgot_password.html", {"form": form}, status=status)


def forgot_password_sent(request):
    return render(request, "accounts/forgot_password_sent.html")
