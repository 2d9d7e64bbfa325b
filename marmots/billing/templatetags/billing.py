"""Template filters for money and durations on billing pages and documents."""

from django import template

from marmots.billing.money import fr_money

register = template.Library()


@register.filter
def euros(value):
    """{{ amount|euros }} -> "1 234,50 €" (money.fr_money); "" for None."""
    return "" if value is None or value == "" else fr_money(value)


@register.filter
def hours(minutes):
    """{{ 150|hours }} -> "2 h 30"; {{ 120|hours }} -> "2 h"; "0 h" for nothing."""
    minutes = int(minutes or 0)
    whole, rest = divmod(minutes, 60)
    return f"{whole}\u00a0h\u00a0{rest:02d}" if rest else f"{whole}\u00a0h"
