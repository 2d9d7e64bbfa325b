from django import template

from marmots.portal import frdates

register = template.Library()


@register.filter
def date_fr(value):
    """{{ day|date_fr }} -> "lundi 14 décembre 2026"."""
    return frdates.long_date(value) if value else ""


@register.filter
def datetime_fr(value):
    """{{ moment|datetime_fr }} -> "lundi 14 décembre 2026 à 20h00"."""
    return frdates.long_datetime(value) if value else ""
