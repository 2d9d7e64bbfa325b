from django import template

register = template.Library()


@register.filter
def euros(value):
    """1234.5 -> '1 234,50 €' (French formatting)."""
    if value is None:
        return ""
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0€"
