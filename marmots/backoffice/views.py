from django.shortcuts import render

from marmots.core.access import staff_required


@staff_required
def home(request):
    return render(request, "backoffice/home.html")
