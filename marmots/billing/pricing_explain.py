"""The French words of invoice lines: labels and explanations that say why a line exists and
how its price was found ("Réservé 17h30-18h00, présent 16h30-18h10 : 16h30-18h30 facturé,
4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €").
"""

from functools import lru_cache

from marmots.core.french import MONTHS, WEEKDAYS

from .money import fr_money
from .pricing_spans import AS_BOOKED, MAX_SPAN, PRESENCE, WHOLE, merge, minutes, slot_span

UNITS = {
    "half_hour": ("demi-heure", "demi-heures"),
    "slot": ("créneau", "créneaux"),
    "half_day": ("demi-journée", "demi-journées"),
    "day": ("jour", "jours"),
    "session": ("séance", "séances"),
    "child_year": ("année", "années"),
    "family_year": ("année", "années"),
}


def fr_minutes(value):
    return f"{value // 60}h{value % 60:02d}"


def fr_span(span):
    """ "16h30-18h30" """
    return f"{fr_minutes(span[0])}-{fr_minutes(span[1])}"


def fr_spans(spans):
    """ "7h00-7h30 et 8h00-8h30" (merged)"""
    return _fr_spans(tuple(spans))


@lru_cache(maxsize=1024)  # a month shows the same few spans over and over
def _fr_spans(spans):
    return " et ".join(fr_span(span) for span in merge(spans))


@lru_cache(maxsize=1024)  # a month shows the same few prices and amounts over and over
def _fr_money(value):
    return fr_money(value)


def fr_slots(slots):
    return fr_spans([slot_span(slot) for slot in slots])


def fr_time(moment):
    return fr_minutes(minutes(moment))


def short_day(day):
    """ "lundi 02/11" """
    return f"{WEEKDAYS[day.weekday()]} {day.day:02d}/{day.month:02d}"


def long_day(day):
    """ "lundi 02/11/2026" """
    return f"{WEEKDAYS[day.weekday()]} {day.day:02d}/{day.month:02d}/{day.year}"


def fr_month(day):
    return f"{MONTHS[day.month - 1]} {day.year}"


def ordinal(n):
    return "1er" if n == 1 else f"{n}e"


def label(what, day, child):
    """ "Périscolaire soir, lundi 02/11 – Léa" """
    return f"{what}, {short_day(day)} – {child.first_name}"


def calc(quantity, unit, price, amount):
    """ "4 demi-heures x 0,60 € (QF 540, tranche 0-650) = 2,40 €" """
    one, many = UNITS.get(unit, ("unité", "unités"))
    count = int(quantity) if quantity == int(quantity) else quantity
    word = one if count == 1 else many
    note = f" {price.note}" if price.note else ""
    return f"{count} {word} x {_fr_money(price.unit_price)}{note} = {_fr_money(amount)}"


def missed_clause(session, rank):
    """ "oubli de pointage (4e du mois, au-delà de 3)" """
    limit = session.missed_threshold
    beyond = f"au-delà de {limit}" if limit is not None else "au-delà du seuil"
    if not session.beyond:
        return f"oubli de pointage ({ordinal(rank)} du mois)"
    if limit is not None and rank > limit:
        return f"oubli de pointage ({ordinal(rank)} du mois, {beyond})"
    count = max(session.month_missed, rank)
    return f"oubli de pointage ({ordinal(rank)} du mois ; {count} ce mois-ci, {beyond})"


def head(an, missed_rank):
    """What happened in the session: "Réservé 17h30-18h00, présent 16h30-18h10"."""
    s = an.session
    clauses = []
    if s.present and s.missed:
        clauses.append(missed_clause(s, missed_rank))
    if an.kept:
        clauses.append(f"réservé {fr_slots(an.kept)}")
    if an.late:
        clauses.append(f"annulé hors délai {fr_slots(an.late)}")
    if an.absent:
        clauses.append(f"absence non excusée {fr_slots(an.absent)}")
    if s.present and s.missed:
        if not an.as_booked:
            clauses.append("sans réservation")
    elif s.present:
        presence = ""
        if s.arrival is not None or s.departure is not None:
            start = fr_time(s.arrival) if s.arrival else fr_minutes(an.opens)
            end = fr_time(s.departure) if s.departure else fr_minutes(an.closes)
            presence = f" {start}-{end}"
        clauses.append(
            f"présent{presence}" if an.as_booked else f"présent sans réservation{presence}"
        )
    elif an.kept:
        clauses.append("absent sans annulation")
    text = ", ".join(clauses)
    return text[:1].upper() + text[1:]


def outcome(an, spans):
    """What is billed: "16h30-18h30 facturé", "facturé comme réservé", "amplitude maximale
    16h30-18h30 facturée"."""
    if an.how == MAX_SPAN:
        return f"amplitude maximale {fr_spans(spans)} facturée"
    if an.how == WHOLE:
        return f"séance entière {fr_spans(spans)} facturée"
    if an.how == AS_BOOKED and (an.session.missed or not an.session.present):
        return "facturé comme réservé"
    return f"{fr_spans(spans)} facturé"


def slot_name(slot):
    """ "matin", or "17h30-18h00" for a slot without a label."""
    return slot.label.lower() or fr_span(slot_span(slot))


def slot_outcome(an, slot):
    """What the line of one billed slot says is billed: the slot ("12h00-13h30 facturé"), or
    every billed slot when the presence added some to the booked ones ("matin, repas,
    après-midi facturés")."""
    added = an.how == PRESENCE and any(s not in an.as_booked for s in an.slots)
    if added and an.as_booked:
        return f"{', '.join(slot_name(s) for s in an.slots)} facturés"
    return outcome(an, [slot_span(slot)])


def excused_text(booking, slots):
    """ "Annulation excusée (certificat médical) : non facturée (16h30-18h30)" """
    what = "Absence excusée" if booking.status == "absent" else "Annulation excusée"
    reason = f" ({booking.excuse_reason})" if booking.excuse_reason else ""
    return f"{what}{reason} : non facturée ({fr_slots(slots)})"
