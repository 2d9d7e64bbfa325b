"""Account numbers on direct debit pages: masked in lists, grouped by four when shown."""

from django import template

from marmots.debits import rules

register = template.Library()


@register.filter
def masked_iban(value):
    """{{ mandate.iban|masked_iban }} -> "FR76 **** **** **** **** ***0 189"."""
    return rules.mask_iban(value)


@register.filter
def iban(value):
    """{{ settings.iban|iban }} -> "FR76 3000 6000 0112 3456 7890 189"."""
    return rules.format_iban(value)
