"""Public payment endpoints: the provider's notification (server to server) and the simulated
bank of the demo. No login: the provider's signature (or the bank's HMAC) is what counts."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from marmots.accounts.ratelimit import client_ip
from marmots.billing.money import fr_money

from . import demo_bank
from .actions import handle_notification
from .models import OnlinePayment, ProviderSettings
from .rules import parse_amount


def remote_addr(request):
    address = client_ip(request)
    return None if address == "-" else address


@csrf_exempt
@require_http_methods(["GET", "POST"])
def notify(request, structure_pk, kind):
    """The provider's notification URL (one per structure and provider)."""
    provider = get_object_or_404(
        ProviderSettings.objects.select_related("structure"), structure_id=structure_pk
    )
    verdict = handle_notification(
        provider,
        "notify",
        request.method,
        request.META.get("QUERY_STRING", ""),
        request.body.decode("utf-8", "replace"),
        remote_addr(request),
        kind=kind,
    )
    return HttpResponse(
        verdict.content or verdict.outcome, status=verdict.status, content_type="text/plain"
    )


def _pending_dummy(transaction_id):
    if not settings.MARMOTS_DEMO_BANK:
        raise Http404("La banque simulée n'est servie qu'en démonstration.")
    attempts = OnlinePayment.objects.select_related("structure__payment_provider")
    return get_object_or_404(
        attempts, provider=ProviderSettings.DUMMY, transaction_id=transaction_id or "-"
    )


def _in_french(raw):
    """The amount the bank was asked ("55.80") as the family reads it ("55,80 €")."""
    try:
        return fr_money(parse_amount(raw))
    except (TypeError, ArithmeticError):
        return raw


@require_http_methods(["GET", "POST"])
def demo_bank_page(request):
    """The simulated bank: shows what eopayment's dummy backend asked, then accepts or refuses
    it, notifies us server-side (signed) and sends the family back to the portal."""
    if request.method == "GET":
        asked = request.GET
        attempt = _pending_dummy(asked.get("transaction_id"))
        context = {
            "attempt": attempt,
            "amount": asked.get("amount", ""),
            "shown_amount": _in_french(asked.get("amount", "")),
            "email": asked.get("email", ""),
            "origin": asked.get("origin", ""),
            "orderid": asked.get("orderid", ""),
            "transaction_id": asked.get("transaction_id", ""),
        }
        return render(request, "payments/demo_bank.html", context)
    posted = request.POST
    attempt = _pending_dummy(posted.get("transaction_id"))
    back = reverse("portal:payment_return", args=[attempt.reference])
    if attempt.status != OnlinePayment.PENDING:
        return redirect(back)
    fields = [
        ("transaction_id", attempt.transaction_id),
        ("amount", posted.get("amount", "")),
        ("orderid", attempt.reference),
        ("signed", "1"),
        ("ok", "1") if posted.get("decision") == "accept" else ("reason", "refused"),
    ]
    notification = demo_bank.sign(fields)
    provider = attempt.structure.payment_provider
    handle_notification(provider, "notify", "POST", "", notification, remote_addr(request))
    return redirect(f"{back}?{notification}")
