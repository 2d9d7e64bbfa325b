"""SEPA direct debit rules, pure (no Django, no database): account numbers (IBAN, ISO 13616),
bank codes (BIC, ISO 9362), the creditor identifier (ICS) and when a month's invoices are
collected (TARGET2 business days: no weekends, 1 January, Good Friday, Easter Monday, 1 May,
25 and 26 December).

Checks return a French message (empty when the value is fine), so that actions can gather
every problem at once.
"""

import datetime
import re
from functools import cache

import holidays

# IBAN length per country of the SEPA schemes (EPC list of 2023: the EU and EEA countries,
# Switzerland, the United Kingdom, Monaco, San Marino, Andorra and the Vatican). French
# overseas departments and collectivities use FR, Guernsey, Jersey and Man use GB.
IBAN_LENGTHS = {
    "AD": 24,
    "AT": 20,
    "BE": 16,
    "BG": 22,
    "CH": 21,
    "CY": 28,
    "CZ": 24,
    "DE": 22,
    "DK": 18,
    "EE": 20,
    "ES": 24,
    "FI": 18,
    "FR": 27,
    "GB": 22,
    "GI": 23,
    "GR": 27,
    "HR": 21,
    "HU": 28,
    "IE": 22,
    "IS": 26,
    "IT": 27,
    "LI": 21,
    "LT": 20,
    "LU": 20,
    "LV": 21,
    "MC": 27,
    "MT": 31,
    "NL": 18,
    "NO": 15,
    "PL": 28,
    "PT": 25,
    "RO": 24,
    "SE": 24,
    "SI": 19,
    "SK": 24,
    "SM": 27,
    "VA": 22,
}

_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")
_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
# Country, check digits, creditor business code (any 3 characters, ZZZ when unused), national
# identifier: in France 6 characters given by the Banque de France (13 characters in all).
_ICS = re.compile(r"^([A-Z]{2})([0-9]{2})([A-Z0-9]{3})([A-Z0-9]{1,28})$")


def compact(value):
    """Spaces (and dashes, dots) removed, upper case: how account numbers are compared."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def _mod97(text):
    """The ISO 7064 MOD 97-10 remainder of `text`, letters counted as 10 (A) to 35 (Z)."""
    return int("".join(str(int(char, 36)) for char in text)) % 97


def iban_error(value):
    """Why `value` is not an IBAN of a SEPA country ("" when it is one)."""
    iban = compact(value)
    if not iban:
        return "Indiquez l'IBAN."
    if not _IBAN.match(iban):
        return "Un IBAN commence par le code du pays et deux chiffres (ex. FR76…)."
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is None:
        return f"Le pays {iban[:2]} ne fait pas partie de la zone SEPA."
    if len(iban) != expected:
        return f"Un IBAN {iban[:2]} compte {expected} caractères, celui-ci en a {len(iban)}."
    if _mod97(iban[4:] + iban[:4]) != 1:
        return "Cet IBAN n'est pas valide : vérifiez-le chiffre par chiffre (clé de contrôle)."
    return ""


def bic_error(value):
    """Why `value` is not a BIC (8 or 11 characters: bank, country, place, branch)."""
    bic = compact(value)
    if not bic:
        return "Indiquez le BIC."
    if len(bic) not in (8, 11):
        return "Un BIC compte 8 ou 11 caractères."
    if not _BIC.match(bic):
        return (
            "Ce BIC n'est pas valide : 4 lettres (banque), 2 lettres (pays), "
            "puis 2 ou 5 lettres ou chiffres."
        )
    return ""


def creditor_id_error(value):
    """Why `value` is not a SEPA creditor identifier (ICS): the check digits are an IBAN's,
    computed on the national identifier followed by the country (the business code is left
    out)."""
    ics = compact(value)
    if not ics:
        return "Indiquez l'identifiant créancier SEPA (ICS)."
    match = _ICS.match(ics)
    if not match or len(ics) > 35:
        return "Un identifiant créancier SEPA s'écrit comme FR72ZZZ123456."
    country, digits, _, national = match.groups()
    if country not in IBAN_LENGTHS:
        return f"Le pays {country} ne fait pas partie de la zone SEPA."
    if country == "FR" and len(national) != 6:
        return "Un identifiant créancier français compte 13 caractères (ex. FR72ZZZ123456)."
    if _mod97(national + country + digits) != 1:
        return "Cet identifiant créancier n'est pas valide (clé de contrôle) : vérifiez-le."
    return ""


def end_to_end_id(reference, batch_id):
    """The EndToEndId of an invoice's debit in a batch: the invoice's reference and the
    batch's id (an invoice rejected, then collected again, never repeats one), at most 35
    characters (the reference is shortened, never the batch's id)."""
    suffix = f"-{batch_id}"
    return reference[: 35 - len(suffix)] + suffix


def format_iban(value):
    """'FR7630006000011234567890189' -> 'FR76 3000 6000 0112 3456 7890 189'."""
    iban = compact(value)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def mask_iban(value):
    """The IBAN as lists show it: the country and check digits and the last 4 characters
    ('FR76 **** **** **** **** ***0 189')."""
    iban = compact(value)
    if len(iban) <= 8:
        return "*" * len(iban)
    return format_iban(iban[:4] + "*" * (len(iban) - 8) + iban[-4:])


# Collection dates -------------------------------------------------------------------------------


@cache
def _target_holidays(year):
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_business_day(day):
    """A TARGET2 business day: the days banks settle SEPA debits."""
    return day.weekday() < 5 and day not in _target_holidays(day.year)


def business_day_on_or_after(day):
    while not is_business_day(day):
        day += datetime.timedelta(days=1)
    return day


def next_business_day(day):
    """The first business day after `day`."""
    return business_day_on_or_after(day + datetime.timedelta(days=1))


def _next_month(first):
    return datetime.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def planned_date(month, day):
    """The collection day of the invoices of `month` (any date in it): `day` of the following
    month, or the first business day after it."""
    return business_day_on_or_after(_next_month(month.replace(day=1)).replace(day=day))


def collection_date(month, day, today):
    """The date a batch of the invoices of `month` is collected: the planned day, and at the
    earliest the business day after `today` (the bank needs the file the day before)."""
    return max(planned_date(month, day), next_business_day(today))


def expected_date(month, day, today):
    """When an invoice of `month` not yet in a batch should be collected: its month's planned
    day, or once that one is past (a late or rejected invoice), the next month's that is
    still to come."""
    month = month.replace(day=1)
    while planned_date(month, day) <= today:
        month = _next_month(month)
    return planned_date(month, day)
