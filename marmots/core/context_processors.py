from marmots.activities.models import Structure


def current_structure():
    """The structure shown on public pages: the first one (single-site instances)."""
    return Structure.objects.order_by("id").first()


def structure(request):
    return {"structure": current_structure()}
