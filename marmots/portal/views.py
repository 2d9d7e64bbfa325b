from django.shortcuts import render

from marmots.core.access import guardian_required


def public_home(request):
    return render(request, "portal/public_home.html")


@guardian_required
def home(request):
    return render(request, "portal/home.html", {"family": request.family})
