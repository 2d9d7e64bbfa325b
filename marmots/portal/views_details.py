"""Mes coordonnées: a guardian's own details, everything but the e-mail."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from marmots.core.access import guardian_required
from marmots.families import actions
from marmots.families.forms import GuardianDetailsForm
from marmots.families.models import Guardian

from .helpers import add_errors


@guardian_required
def details(request):
    guardian = Guardian.objects.select_related("user").get(pk=request.guardian.pk)
    form = GuardianDetailsForm(request.POST or None, instance=guardian)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            result = actions.update_guardian_details(request.guardian, data, request.user)
        except ValidationError as error:
            add_errors(form, error)
        else:
            if result:
                messages.success(request, "Vos coordonnées sont enregistrées.")
            else:
                messages.info(request, "Aucune modification à enregistrer.")
            return redirect("portal:details")
    return render(request, "portal/details.html", {"form": form, "email": request.user.email})
