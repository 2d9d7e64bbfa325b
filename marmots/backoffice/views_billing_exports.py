"""Back-office billing exports and reports: invoices and lines (CSV, XLSX), the hours report
per month and quotient bracket, the third-party aid to claim. Managers only."""

from urllib.parse import urlencode

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from marmots.billing import exports, reports
from marmots.core.access import manager_required

from .forms_billing_settings import PeriodForm

TEMPLATES = "backoffice/billing/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = {
    "factures": {"csv": exports.invoices_csv, "xlsx": exports.invoices_xlsx},
    "lignes": {"csv": exports.lines_csv, "xlsx": exports.lines_xlsx},
    "heures": {"csv": reports.hours_csv, "xlsx": reports.hours_xlsx},
    "aides": {"csv": reports.aid_claims_csv, "xlsx": reports.aid_claims_xlsx},
}


def _period(request):
    """The period form; bound (and checked) when the request names a period."""
    return PeriodForm(request.structures, request.GET if "first" in request.GET else None)


def _file_response(what, fmt, form):
    structure = form.chosen_structure()
    first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    content = FILES[what][fmt](structure, first, last)
    name = f"{what}-{structure.slug}-{first:%Y%m%d}-{last:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require_GET
@manager_required
def export_file(request, what, fmt):
    """/exports/<factures|lignes|heures|aides>.<csv|xlsx>?first=...&last=..."""
    if fmt not in FILES.get(what, {}):
        raise Http404
    form = _period(request)
    if not form.is_valid():
        return render(request, TEMPLATES + "exports.html", {"form": form}, status=400)
    return _file_response(what, fmt, form)


def _default_query(form):
    """The query of the period the unbound form proposes (last month, the first structure)."""
    params = {"first": form.initial["first"].isoformat(), "last": form.initial["last"].isoformat()}
    if "structure" in form.fields:
        params["structure"] = form.structures[0].pk
    return urlencode(params)


@require_GET
@manager_required
def exports_page(request):
    form = _period(request)
    context = {"form": form}
    if not form.is_bound:
        context |= {**form.initial, "query": _default_query(form)}
    elif form.is_valid():
        context |= {**form.cleaned_data, "query": request.GET.urlencode()}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, TEMPLATES + "exports.html", context, status=status)


@require_GET
@manager_required
def hours_page(request):
    form = _period(request)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        structure = form.chosen_structure()
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
        rows = reports.hours_report(structure, first, last)
        context |= {
            "rows": rows,
            "totals": {
                "booked": sum(row.booked for row in rows),
                "attended": sum(row.attended for row in rows),
                "billed": sum(row.billed for row in rows),
                "children": reports.hours_children(structure, first, last),
            },
            "query": request.GET.urlencode(),
        }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, TEMPLATES + "report_hours.html", context, status=status)


@require_GET
@manager_required
def aid_claims_page(request):
    form = _period(request)
    context = {"form": form}
    if form.is_bound and form.is_valid():
        structure = form.chosen_structure()
        payers = reports.aid_claims(
            structure, form.cleaned_data["first"], form.cleaned_data["last"]
        )
        context |= {"payers": payers, "query": request.GET.urlencode()}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, TEMPLATES + "aid_claims.html", context, status=status)
