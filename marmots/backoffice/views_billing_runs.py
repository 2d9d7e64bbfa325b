"""Monthly invoicing runs: start one, follow its progress, review its anomalies, recompute,
discard or issue it. Every write goes through `marmots.billing.actions`."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from marmots.activities.models import StaffMembership
from marmots.billing import actions
from marmots.billing.models import Anomaly, Invoice, InvoicingRun
from marmots.billing.money import ZERO
from marmots.core.access import get_or_404, manager_required, staff_required
from marmots.portal.frdates import month_label

from .forms_billing import ReviewForm, StartRunForm

INVOICES_PER_PAGE = 100
WORKING = (InvoicingRun.QUEUED, InvoicingRun.RUNNING)
# A computation still going after this long has probably lost its worker: the page says so,
# next to the "Abandonner" button.
STUCK_AFTER = datetime.timedelta(minutes=10)


def runs_of(request):
    return InvoicingRun.objects.filter(structure__in=request.structures)


def run_url(run, anchor=""):
    url = reverse("backoffice:billing_run", args=[run.pk])
    return f"{url}#{anchor}" if anchor else url


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


def _go(request, url):
    """A redirect; htmx follows it with a full page load."""
    if is_htmx(request):
        return HttpResponse(headers={"HX-Redirect": resolve_url(url)})
    return redirect(url)


def _refused(request, message, back):
    """Nothing changed: say why on the run's page."""
    messages.error(request, message)
    return _go(request, back)


def _one_value(queryset, value):
    return Subquery(queryset.order_by().values("run").annotate(v=value).values("v")[:1])


def with_figures(runs):
    """Runs annotated with their invoices' count and amount and their anomalies' counts."""
    invoices = Invoice.objects.filter(run=OuterRef("pk"), kind=Invoice.INVOICE)
    anomalies = Anomaly.objects.filter(run=OuterRef("pk"))
    amount = DecimalField(max_digits=12, decimal_places=2)
    number = IntegerField()
    return runs.annotate(
        invoice_count=Coalesce(_one_value(invoices, Count("pk")), Value(0), output_field=number),
        amount=Coalesce(_one_value(invoices, Sum("total")), Value(ZERO), output_field=amount),
        anomaly_count=Coalesce(_one_value(anomalies, Count("pk")), Value(0), output_field=number),
        unreviewed_count=Coalesce(
            _one_value(anomalies.filter(reviewed_at__isnull=True), Count("pk")),
            Value(0),
            output_field=number,
        ),
    )


def not_over(run):
    """Why the drafted run cannot be issued yet: its month is not over ("" once it is)."""
    if run.status == InvoicingRun.DRAFTED and timezone.localdate() < actions.issuable_from(
        run.month
    ):
        return actions.month_not_over(run.month)
    return ""


def buttons(run):
    """What the manager may do with the run in its status (the actions check it again)."""
    found = {
        InvoicingRun.QUEUED: {"discard"},
        InvoicingRun.RUNNING: {"discard"},
        InvoicingRun.DRAFTED: {"issue", "recompute", "discard", "review"},
        InvoicingRun.FAILED: {"recompute", "discard"},
    }.get(run.status, set())
    return found - {"issue"} if not_over(run) else found


def stuck(run):
    """A computation that has lasted too long (its worker may have died)."""
    waiting = run.status in (InvoicingRun.QUEUED, InvoicingRun.RUNNING)
    return waiting and timezone.now() - run.created_at > STUCK_AFTER


def _status_context(run):
    return {
        "run": run,
        "progress": progress(run),
        "working": run.status in WORKING,
        "stuck": stuck(run),
    }


def progress(run):
    """Percentage of the families computed so far."""
    if run.status not in WORKING:
        return 100 if run.status != InvoicingRun.FAILED else 0
    return run.families_done * 100 // run.families_total if run.families_total else 0


@staff_required
@require_GET
def runs(request):
    today = timezone.localdate()
    form = None
    if request.is_manager:
        roles = request.staff_roles.items()
        managed = [pk for pk, role in roles if role == StaffMembership.MANAGER]
        form = StartRunForm(structures=request.structures.filter(pk__in=managed), today=today)
    rows = with_figures(runs_of(request).select_related("structure", "started_by"))
    context = {"runs": rows, "form": form, "working": WORKING}
    return render(request, "backoffice/billing/runs.html", context)


@require_POST
@manager_required
def run_start(request):
    form = StartRunForm(request.POST, structures=request.structures, today=timezone.localdate())
    if form.is_valid():
        structure, month = form.cleaned_data["structure"], form.cleaned_data["mois"]
        try:
            run = actions.start_run(structure, month, request.user)
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, f"Facturation de {month_label(month)} lancée.")
            return redirect(run_url(run))
    rows = with_figures(runs_of(request).select_related("structure", "started_by"))
    context = {"runs": rows, "form": form, "working": WORKING}
    return render(request, "backoffice/billing/runs.html", context, status=400)


def _anomaly_groups(run):
    """[(kind label, [anomalies])] in the order of `Anomaly.KINDS`."""
    related = ("family", "child", "activity", "reviewed_by")
    found = {}
    for anomaly in run.anomalies.select_related(*related):
        found.setdefault(anomaly.kind, []).append(anomaly)
    labels = dict(Anomaly.KINDS)
    return [(labels[kind], found[kind], kind) for kind, _ in Anomaly.KINDS if kind in found]


def _run_context(request, run):
    invoices = run.invoices.filter(kind=Invoice.INVOICE)
    totals = invoices.aggregate(count=Count("pk"), amount=Sum("total"))
    rows = invoices.select_related("family").annotate(line_count=Count("lines"))
    page = Paginator(rows.order_by("family__name", "pk"), INVOICES_PER_PAGE)
    groups = _anomaly_groups(run)
    return {
        **_status_context(run),
        "month": month_label(run.month),
        "not_over": not_over(run),
        "buttons": buttons(run),
        "invoice_count": totals["count"],
        "amount": totals["amount"] or ZERO,
        "page": page.get_page(request.GET.get("page")),
        "groups": groups,
        "unreviewed": sum(not a.reviewed_at for _, rows, _ in groups for a in rows),
        "review_form": ReviewForm(),
    }


@staff_required
@require_GET
def run_detail(request, pk):
    related = ("structure", "started_by", "issued_by")
    run = get_or_404(runs_of(request).select_related(*related), pk=pk)
    return render(request, "backoffice/billing/run.html", _run_context(request, run))


@staff_required
@require_GET
def run_progress(request, pk):
    """The status fragment polled while the run is computed (the inside of the page's live
    region); once it is done, htmx reloads the whole page to show the drafts and the
    anomalies."""
    run = get_or_404(runs_of(request), pk=pk)
    context = _status_context(run)
    response = render(request, "backoffice/billing/_run_status.html", context)
    if not context["working"] and is_htmx(request):
        response["HX-Refresh"] = "true"
    return response


def _run_action(request, pk, action, done, then=None):
    run = get_or_404(runs_of(request).select_related("structure"), pk=pk)
    try:
        action(run, request.user)
    except ValidationError as error:
        return _refused(request, error.messages[0], run_url(run))
    messages.success(request, done)
    return _go(request, then or run_url(run))


@require_POST
@manager_required
def run_recompute(request, pk):
    return _run_action(request, pk, actions.recompute_run, "Brouillon recalculé.")


@require_POST
@manager_required
def run_discard(request, pk):
    done = "Facturation abandonnée."
    return _run_action(request, pk, actions.discard_run, done, then="backoffice:billing")


@require_POST
@manager_required
def run_issue(request, pk):
    done = "Factures émises : les familles les reçoivent par e-mail."
    return _run_action(request, pk, actions.issue_run, done)


@require_POST
@manager_required
def anomaly_review_kind(request, pk, kind):
    run = get_or_404(runs_of(request).select_related("structure"), pk=pk)
    try:
        count = actions.review_kind(run, request.user, kind)
    except ValidationError as error:
        return _refused(request, error.messages[0], run_url(run, "anomalies"))
    messages.success(request, f"{count} anomalie(s) marquée(s) comme vue(s).")
    return redirect(run_url(run, "anomalies"))


@require_POST
@manager_required
def anomaly_review(request, pk):
    anomalies = Anomaly.objects.filter(run__structure__in=request.structures)
    related = ("run", "family", "child", "activity")
    anomaly = get_or_404(anomalies.select_related(*related), pk=pk)
    back = run_url(anomaly.run, f"anomalie-{anomaly.pk}")
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _refused(request, next(iter(form.errors.values()))[0], back)
    try:
        actions.review_anomaly(anomaly, request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        return _refused(request, error.messages[0], back)
    if not is_htmx(request):
        messages.success(request, "Anomalie marquée comme vue.")
        return redirect(back)
    anomaly.refresh_from_db()
    run = anomaly.run
    context = {
        "anomaly": anomaly,
        "run": run,
        "unreviewed": run.anomalies.filter(reviewed_at__isnull=True).count(),
        "buttons": buttons(run),
        "changed": True,
        "oob": True,
    }
    return render(request, "backoffice/billing/_anomaly_reviewed.html", context)
