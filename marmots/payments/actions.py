"""Online payment actions: start an attempt, handle what the provider says about it.

An attempt is credited at most once: the attempt's row is locked while a notification is
judged, and a paid attempt answers "déjà traité" to every later notification. A notification
is always logged (its own row, written before anything is judged, so a refusal keeps it),
whatever became of it: forged, unknown, for another amount, unreadable.

An amount that differs from the one asked is never credited: the attempt goes to ERROR (the
bank took an amount nobody asked for; the manager sees it in the log and settles it by hand).
A later paid notification for the right amount still credits it once, and so does a paid one
arriving after a refusal or a cancel: the bank's word that it took the money wins.

The log keeps the first `LOGGED_CHARS` characters of what arrived (the endpoint is public: a
flood of megabytes is not stored); the whole text is what is judged.
"""

import logging
import secrets
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from eopayment.common import PaymentException

from marmots.billing.actions import give_receipt_number
from marmots.billing.balances import unpaid_invoices, with_outstanding
from marmots.billing.models import Allocation, Invoice, Payment
from marmots.billing.money import fr_money, money
from marmots.billing.settling import in_pending_debit, lock_family, payable_invoices
from marmots.core.audit import record
from marmots.debits.models import DebitItem

from . import providers, rules
from .models import Notification, OnlinePayment, OnlinePaymentInvoice, ProviderSettings

logger = logging.getLogger(__name__)
ALPHABET = string.ascii_uppercase + string.digits
LOGGED_CHARS = 4000  # of a notification's query and body kept in the log


def new_reference():
    return "PL" + "".join(secrets.choice(ALPHABET) for _ in range(10))


def offered(structure):
    """The structure's provider, if it offers online payment."""
    provider = ProviderSettings.objects.filter(structure=structure).exclude(kind="").first()
    if provider is None:
        raise ValidationError(f"Le paiement en ligne n'est pas proposé par {structure.name}.")
    return provider


def with_debit(invoices):
    """Invoices annotated with `in_debit` (in a direct debit not collected yet, as settling
    says: not payable) and `debit_on`, the date it collects them (for display, when known)."""
    pending = DebitItem.objects.filter(invoice=OuterRef("pk"), payment__status=Payment.PENDING)
    return invoices.annotate(
        in_debit=in_pending_debit(),
        debit_on=Subquery(pending.values("batch__collection_date")[:1]),
    )


def payable(family, structure=None):
    """The family's unpaid invoices, oldest due first, with `outstanding`, `in_debit` and
    `debit_on`."""
    return with_debit(unpaid_invoices(family, structure)).select_related("structure")


def check_amounts(family, structure, amounts):
    """[(invoice, amount)] of what the family asks to pay, or the French reason it may not."""
    asked = rules.parse_amounts(amounts)
    mine = Invoice.objects.for_family(family).filter(structure=structure, pk__in=list(asked))
    found = {i.pk: i for i in with_debit(with_outstanding(mine))}
    chosen = []
    for invoice_id, raw in asked.items():
        invoice = found.get(invoice_id)
        if invoice is None:
            raise ValidationError(rules.NOT_YOURS)
        chosen.append((invoice, rules.check_amount(invoice, raw)))
    return chosen


@dataclass
class Started:
    online_payment: OnlinePayment
    url: str = ""  # the provider's page (eopayment URL kind)
    form: object = None  # or its form (eopayment FORM kind: url, method, fields)


def check_payment(family, structure, amounts, reference=None):
    """(provider, eopayment backend, [(invoice, amount)], total) of a payment the family may
    make, or the French reason it may not."""
    provider = offered(structure)
    try:
        backend = providers.build(provider, reference)
    except providers.Unavailable as why:
        logger.error("Online payment unavailable for %s: %s", structure, why)
        raise ValidationError(providers.FAMILY_UNAVAILABLE) from None
    chosen = check_amounts(family, structure, amounts)
    total = money(sum(amount for _, amount in chosen))
    rules.check_total(total, *providers.limits(provider, backend))
    return provider, backend, chosen, total


def start_online_payment(family, user, structure, amounts, email):
    """Check what is asked, record the attempt and ask the provider for its payment page.
    `amounts` is {invoice id: amount}; partial payments are allowed."""
    email = (email or "").strip()
    reference = new_reference()
    with transaction.atomic():
        provider, backend, chosen, total = check_payment(family, structure, amounts, reference)
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(rules.BAD_EMAIL) from None
        if len(email) > 80:  # PayFiP's limit
            raise ValidationError(rules.BAD_EMAIL)
        attempt = OnlinePayment.objects.create(
            structure=structure,
            family=family,
            started_by=user,
            email=email,
            amount=total,
            provider=provider.kind,
            reference=reference,
        )
        OnlinePaymentInvoice.objects.bulk_create(
            OnlinePaymentInvoice(online_payment=attempt, invoice=invoice, amount=amount)
            for invoice, amount in chosen
        )
        asked = {invoice.reference: str(amount) for invoice, amount in chosen}
        record(user, "online_payment.start", attempt, family=family, after={"asked": asked})
    subject = "Factures " + " ".join(asked)
    kwargs = providers.request_kwargs(provider.kind, reference, email, subject)
    try:
        transaction_id, kind, data = backend.request(total, **kwargs)
    except (PaymentException, ValueError) as error:
        logger.warning("Provider refused online payment %s: %r", reference, error)
        attempt.status, attempt.bank_status = OnlinePayment.ERROR, str(error)[:200]
        attempt.completed_at = timezone.now()
        attempt.save(update_fields=["status", "bank_status", "completed_at"])
        raise ValidationError(providers.FAMILY_UNAVAILABLE) from None
    attempt.transaction_id, attempt.status = str(transaction_id), OnlinePayment.PENDING
    attempt.save(update_fields=["transaction_id", "status"])
    if kind == providers.eopayment.FORM:
        return Started(attempt, form=data)
    return Started(attempt, url=providers.for_browser(provider.kind, data))


@dataclass
class Verdict:
    """What a notification came to, and what the view answers the provider."""

    outcome: str
    message: str
    online_payment: OnlinePayment | None = None
    content: str | None = None
    unavailable: bool = False

    @property
    def status(self):
        if self.unavailable:
            return 503
        refused = (Notification.FORGED, Notification.UNKNOWN, Notification.INVALID)
        return 400 if self.outcome in refused else 200


def handle_notification(
    provider_settings, channel, method, query_string, body, remote_addr, kind=None
):
    """Judge a notification (`channel` "notify": server to server; "return": the family's
    browser coming back with the provider's data) and credit the attempt at most once."""
    kind = (kind or provider_settings.kind)[:20]
    query_string, body = query_string or "", body or ""
    log = Notification.objects.create(
        structure_id=provider_settings.structure_id,
        provider=kind,
        channel=channel,
        method=method[:10],
        query=query_string[:LOGGED_CHARS],
        body=body[:LOGGED_CHARS],
        remote_addr=remote_addr or None,
        outcome=Notification.INVALID,
        message="reçue, en cours de traitement",
    )
    try:
        verdict = _judge(provider_settings, kind, method, query_string, body)
    except Exception as error:
        Notification.objects.filter(pk=log.pk).update(message=f"erreur interne : {error!r}")
        raise
    Notification.objects.filter(pk=log.pk).update(
        outcome=verdict.outcome,
        message=verdict.message[:1000],
        online_payment=verdict.online_payment,
    )
    return verdict


def _judge(provider, kind, method, query, body):
    if kind != provider.kind:
        return Verdict(Notification.INVALID, f"prestataire « {kind} » non configuré ici")
    try:
        backend = providers.build(provider)
        data = providers.notification_data(provider, method, query, body)
        response = backend.response(data)
    except providers.Unavailable as why:
        return Verdict(Notification.INVALID, str(why), unavailable=True)
    except providers.Refused as why:
        return Verdict(why.outcome, why.message)
    except (PaymentException, ValueError, KeyError) as error:
        return Verdict(Notification.INVALID, f"illisible : {error}")
    key = providers.key_of(kind, response)
    attempt = None
    if key:
        attempt = OnlinePayment.objects.filter(
            structure=provider.structure, provider=kind, transaction_id=key
        ).first()
    content = response.return_content
    if not response.signed:
        return Verdict(Notification.FORGED, "signature invalide", attempt)
    if attempt is None:
        return Verdict(Notification.UNKNOWN, f"aucun paiement pour la transaction « {key} »")
    return _settle(attempt, kind, response, content)


def _settle(attempt, kind, response, content):
    status = providers.status_of(kind, response)
    bank_status = str(response.bank_status or "")[:200]
    with transaction.atomic():
        attempt = OnlinePayment.objects.select_for_update().get(pk=attempt.pk)
        if attempt.status == OnlinePayment.PAID or (
            attempt.status in OnlinePayment.FINAL and status != OnlinePayment.PAID
        ):
            done = f"déjà traité (paiement {attempt.get_status_display()})"
            return Verdict(Notification.DUPLICATE, done, attempt, content)
        attempt.bank_status, attempt.bank_data = bank_status, providers.plain(response.bank_data)
        if status is None:
            attempt.save(update_fields=["bank_status", "bank_data"])
            return Verdict(Notification.NOT_PAID, f"en attente : {bank_status}", attempt, content)
        paid = providers.paid_amount(kind, response.bank_data)
        if status == OnlinePayment.PAID and paid != attempt.amount:
            shown = fr_money(paid) if paid is not None else "non indiqué"
            why = f"montant payé {shown} au lieu de {fr_money(attempt.amount)} : non crédité"
            _close(attempt, OnlinePayment.ERROR, why)
            return Verdict(Notification.MISMATCH, why, attempt, content)
        if status != OnlinePayment.PAID:
            _close(attempt, status, bank_status)
            why = f"{attempt.get_status_display()} : {bank_status}"
            return Verdict(Notification.NOT_PAID, why, attempt, content)
        payment = _credit(attempt, providers.bank_reference(kind, response))
        why = f"crédité : reçu {payment.receipt_number}, {fr_money(payment.amount)}"
        return Verdict(Notification.CREDITED, why, attempt, content)


def _close(attempt, status, bank_status):
    attempt.status, attempt.bank_status = status, bank_status[:200]
    attempt.completed_at = timezone.now()
    attempt.save(update_fields=["status", "bank_status", "bank_data", "completed_at"])
    after = {"status": status, "bank_status": attempt.bank_status}
    record(None, "online_payment.end", attempt, family_id=attempt.family_id, after=after)


def _credit(attempt, bank_reference):
    """The received card payment, allocated to the invoices asked within what each still
    owes (read after locking the family, as settling reads it: an invoice since sent to
    direct debit owes nothing here); the rest stays unallocated, a credit that
    `billing.actions.apply_credit` spends on the next invoice."""
    lock_family(attempt.family_id)
    payment = Payment(
        structure_id=attempt.structure_id,
        family_id=attempt.family_id,
        method=Payment.CARD,
        status=Payment.SUCCEEDED,
        amount=attempt.amount,
        received_on=timezone.localdate(),
        reference=attempt.reference,  # the provider's id stays on the attempt
    )
    give_receipt_number(payment)
    payment.save()
    asked = list(attempt.invoices_asked.select_related("invoice"))
    owed = dict(
        payable_invoices(attempt.family, attempt.structure)
        .filter(pk__in=[row.invoice_id for row in asked])
        .values_list("pk", "outstanding")
    )
    allocations = []
    for row in asked:
        part = min(row.amount, money(owed.get(row.invoice_id, 0)))
        if part > 0:
            allocations.append(Allocation(payment=payment, invoice=row.invoice, amount=part))
    Allocation.objects.bulk_create(allocations)
    attempt.payment, attempt.status = payment, OnlinePayment.PAID
    attempt.completed_at = timezone.now()
    attempt.save(update_fields=["payment", "status", "bank_status", "bank_data", "completed_at"])
    record(
        None,
        "payment.online",
        payment,
        family_id=attempt.family_id,
        after={
            "reference": attempt.reference,
            "bank": bank_reference,
            "amount": str(payment.amount),
            "allocated": {a.invoice.reference: str(a.amount) for a in allocations},
        },
    )
    return payment
