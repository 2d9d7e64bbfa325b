"""SystemPay end to end through our views with test credentials: eopayment's real backend
builds the form; the test plays the bank, signing its notification per SystemPay's documented
algorithm with its own small signer (not eopayment's)."""

import base64
import hashlib
import hmac
import html
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from marmots.billing.balances import balance
from marmots.billing.models import Payment
from marmots.payments.models import Notification, OnlinePayment, ProviderSettings

from .conftest import KEY_ENV, start

pytestmark = pytest.mark.django_db
KEY = "Kx7TestKey2026abcdef"
SHOP = "12345678"
SERVICE = "https://paiement.example.test/vads-payment/"
SYSTEMPAY_PAGE = "https://paiement.systempay.fr/vads-payment/"  # eopayment's default
FORM = "application/x-www-form-urlencoded"


def sign(fields, key=KEY, algo="hmac_sha256"):
    """SystemPay's signature: the values of the vads_ fields sorted by name, joined by "+",
    then "+" and the key; HMAC-SHA-256 keyed by the key, in Base64 (or the SHA-1 hex digest
    of that string for the older algorithm)."""
    message = "+".join(
        [fields[name] for name in sorted(fields) if name.startswith("vads_")] + [key]
    )
    if algo == "sha1":
        return hashlib.sha1(message.encode()).hexdigest()  # noqa: S324 (the documented algorithm)
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@pytest.fixture
def systempay(structure, monkeypatch, settings):
    """SystemPay, whose payment page the deployment (not the manager) chose."""
    monkeypatch.setenv(KEY_ENV, KEY)
    settings.MARMOTS_SYSTEMPAY_SERVICE_URL = SERVICE
    return ProviderSettings.objects.create(
        structure=structure,
        kind=ProviderSettings.SYSTEMPAY,
        options={"vads_site_id": SHOP, "vads_ctx_mode": "TEST", "signature_algo": "hmac_sha256"},
        secret_env=KEY_ENV,
    )


def form_fields(response, url=SERVICE):
    form = response.context["form"]
    assert form.url == url and form.method == "POST"
    return {f["name"]: f["value"] for f in form.fields}


def bank_says(request_fields, result="00", key=KEY, algo="hmac_sha256", **changes):
    """The notification the bank posts at the end of the payment."""
    kept = [
        "vads_amount",
        "vads_currency",
        "vads_ctx_mode",
        "vads_site_id",
        "vads_trans_id",
        "vads_trans_date",
        "vads_order_id",
        "vads_ext_info_eopayment_trans_id",
    ]
    fields = {name: request_fields[name] for name in kept}
    fields.update(
        vads_result=result,
        vads_auth_result=result,
        vads_auth_number="3fb0de" if result == "00" else "",
        vads_extra_result="",
        vads_trans_status="AUTHORISED" if result == "00" else "REFUSED",
        vads_url_check_src="PAY",
        vads_cust_email=request_fields["vads_cust_email"],
    )
    fields["signature"] = sign(fields, key, algo)
    fields.update(changes)  # after signing: a tampered field
    return urlencode(fields)


def notify(client, structure, body):
    return client.post(
        f"/paiement/notification/{structure.pk}/systempayv2/", body, content_type=FORM
    )


@pytest.fixture
def to_bank(client_a, structure, owed, systempay):
    november, december = owed
    response = start(client_a, structure, {november: "22.90", december: "10.00"})
    assert response.status_code == 200
    return response


def test_the_form_is_built_and_a_signed_notification_credits_once(
    client, client_a, structure, family_a, to_bank, settings
):
    fields = form_fields(to_bank)
    attempt = OnlinePayment.objects.get()
    assert fields["vads_amount"] == "3290" and fields["vads_currency"] == "978"
    assert fields["vads_site_id"] == SHOP and fields["vads_ctx_mode"] == "TEST"
    assert fields["vads_order_id"] == attempt.reference == attempt.transaction_id
    assert fields["vads_cust_email"] == "claire.martin@example.org"
    assert fields["vads_url_check"] == (
        f"{settings.SITE_URL}/paiement/notification/{structure.pk}/systempayv2/"
    )
    assert fields["vads_url_return"].endswith(f"/portail/paiement/retour/{attempt.reference}/")
    assert fields["signature"] == sign(fields)  # the request is signed the documented way
    page = html.unescape(to_bank.text)
    assert f'action="{SERVICE}"' in page and "Payer par carte" in page
    assert "<script" not in page.split("<main", 1)[1]  # no pop-up, no auto-submit

    body = bank_says(fields)
    answers = [notify(client, structure, body) for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    attempt.refresh_from_db()
    assert attempt.status == OnlinePayment.PAID
    payment = Payment.objects.get()
    assert payment.amount == Decimal("32.90") and payment.reference == attempt.reference
    assert balance(family_a, structure) == Decimal("0.00")
    outcomes = list(Notification.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["credited", "duplicate", "duplicate"]

    # The family comes back with the same signed fields (vads_return_mode GET).
    back = client_a.get(f"/portail/paiement/retour/{attempt.reference}/?{body}", follow=True)
    assert "Paiement reçu" in back.text
    assert Notification.objects.order_by("-pk").first().channel == "return"
    assert Payment.objects.count() == 1


def test_a_tampered_or_badly_signed_notification_is_refused_and_logged(client, structure, to_bank):
    fields = form_fields(to_bank)
    bodies = [
        bank_says(fields, vads_amount="100"),  # tampered after signing
        bank_says(fields, key="AnotherKey123"),  # not our key
        bank_says(fields, signature="0" * 44),
        bank_says({**fields, "vads_ctx_mode": "PRODUCTION"}),  # not the shop's mode
    ]

    for body in bodies:
        assert notify(client, structure, body).status_code == 400

    assert list(Notification.objects.values_list("outcome", flat=True)) == ["forged"] * 4
    assert OnlinePayment.objects.get().status == OnlinePayment.PENDING
    assert not Payment.objects.exists()


def test_a_refused_card_credits_nothing(client, client_a, structure, to_bank):
    fields = form_fields(to_bank)

    assert notify(client, structure, bank_says(fields, result="05")).status_code == 200

    attempt = OnlinePayment.objects.get()
    assert attempt.status == OnlinePayment.REFUSED and not Payment.objects.exists()
    page = client_a.get(f"/portail/paiement/retour/{attempt.reference}/")
    assert "Paiement refusé" in page.text


def test_a_notification_for_another_amount_is_not_credited(client, structure, to_bank):
    fields = form_fields(to_bank)

    notify(client, structure, bank_says({**fields, "vads_amount": "3200"}))

    assert Notification.objects.get().outcome == Notification.MISMATCH
    assert OnlinePayment.objects.get().status == OnlinePayment.ERROR
    assert not Payment.objects.exists()


def test_the_older_sha1_signature(client, client_a, structure, owed, systempay):
    systempay.options["signature_algo"] = "sha1"
    systempay.save()
    november, _ = owed
    fields = form_fields(start(client_a, structure, {november: "22.90"}))
    assert fields["signature"] == sign(fields, algo="sha1") and fields["vads_amount"] == "2290"

    assert notify(client, structure, bank_says(fields)).status_code == 400  # HMAC: not ours
    assert notify(client, structure, bank_says(fields, algo="sha1")).status_code == 200

    assert Payment.objects.get().amount == Decimal("22.90")


def test_the_payment_page_is_the_deployments_not_the_managers(
    client_a, structure, owed, systempay, settings
):
    systempay.options["service_url"] = "https://collecte.example.net/"  # a manager's account
    systempay.save()
    november, _ = owed

    form_fields(start(client_a, structure, {november: "5"}))
    settings.MARMOTS_SYSTEMPAY_SERVICE_URL = ""  # eopayment's: SystemPay's own page
    form_fields(start(client_a, structure, {november: "5"}), SYSTEMPAY_PAGE)
