"""The booking calendar's days, written in Python.

A month holds up to a few hundred cells: a template include (or a dozen template tags) per cell
cost more than everything else the page does, so the days are written here with format_html,
which escapes every value it is given. What many cells share (a slot's name, a day's date, a
child's name) is escaped once per page.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from marmots.portal import frdates

register = template.Library()

CHECKBOX = (
    '<input type="checkbox" name="book" value="{key}" id="c-{key}"{checked}'
    ' aria-describedby="d-{key}">\n<label for="c-{key}">{name}</label>'
)
# A cell's control by (editable, checked): a checkbox when the family may tick or untick it
# (a ticked one also sends "cell", so that unticking it cancels), otherwise a mark.
CONTROLS = {
    (True, True): '<input type="hidden" name="cell" value="{key}">\n'
    + CHECKBOX.replace("{checked}", " checked"),
    (True, False): CHECKBOX.replace("{checked}", ""),
    (
        False,
        True,
    ): '<span class="mark" aria-hidden="true">✓</span>\n<span class="slot">{name}</span>',
    (
        False,
        False,
    ): '<span class="mark" aria-hidden="true">–</span>\n<span class="slot">{name}</span>',
}
STATE = '<span class="state" id="d-{key}"><span class="tag">{label}</span> {text}{notes}</span>'
CELLS = {
    variant: f'<li class="cell state-{{state}}">\n{control}\n{STATE}{{extra}}\n</li>'
    for variant, control in CONTROLS.items()
}
APC = (
    '\n<span class="apc"><input type="checkbox" name="apc" value="{key}" id="apc-{key}">'
    '<label for="apc-{key}">avec récupération APC<span class="visually-hidden"> ({child}, '
    "{slot})</span></label></span>"
)
DETAILS = (
    '\n<a href="{url}{pk}/">Détails<span class="visually-hidden"> de la réservation de {child}, '
    "{name}, {day}</span></a>"
)
# A full cell: the child may join the day's waiting list (sent as "wait", see
# views_bookings.summary); a cell on a list links to the offer or to the family's lists.
JOIN = (
    '\n<span class="join"><input type="checkbox" name="wait" value="{key}" id="w-{key}">'
    '<label for="w-{key}">rejoindre la liste d\'attente<span class="visually-hidden"> ({child}, '
    "{name}, {day})</span></label></span>"
)
ANSWER = (
    '\n<a href="{url}offre/{token}/">Répondre<span class="visually-hidden"> à la place proposée '
    "pour {child}, {name}, {day}</span></a>"
)
WAITING = (
    '\n<a href="{url}#entree-{pk}">Détails<span class="visually-hidden"> de la liste '
    "d'attente de {child}, {name}, {day}</span></a>"
)
ASK = " (sur demande : la structure valide)"
WITH_APC = " · récupération APC"


@register.simple_tag
def booking_days(grid):
    """The <li> items of the calendar's list of days (`grid`: a bookings.month.Month)."""
    return _Days(grid).html()


class _Days:
    def __init__(self, grid):
        self.grid = grid
        self.many_children = len(grid.children) > 1
        # A booking's page is "<id>/" under the calendar's address (urls_bookings.py).
        self.bookings_url = reverse("portal:bookings")
        self.waitlist_url = reverse("portal:waitlist")
        self.escaped, self.names = {}, {}

    def safe(self, text):
        """`text` escaped, remembered: the cells repeat a few texts many times."""
        if text not in self.escaped:
            self.escaped[text] = escape(text)
        return self.escaped[text]

    def html(self):
        return mark_safe("\n".join(self.day(day) for day in self.grid.shown_days))

    def day(self, day):
        self.date = escape(frdates.long_date(day.day))
        if not day.children:
            return format_html(
                '<li class="day off"><span>{}</span> <span class="muted">Pas d\'accueil</span>'
                "</li>",
                self.date,
            )
        rows = "\n".join(self.row(row) for row in day.children)
        return format_html(
            '<li class="day">\n<fieldset class="card">\n<legend>{}</legend>\n{}\n</fieldset>\n'
            "</li>",
            self.date,
            mark_safe(rows),
        )

    def row(self, row):
        cells = mark_safe("\n".join(self.cell(cell) for cell in row.cells))
        if not self.many_children:
            return format_html('<ul class="cells">\n{}\n</ul>', cells)
        return format_html(
            '<fieldset class="child"><legend>{}</legend>\n<ul class="cells">\n{}\n</ul>\n'
            "</fieldset>",
            self.safe(row.child.first_name),
            cells,
        )

    def name(self, slot):
        """ "Périscolaire soir 16h30-17h30", escaped."""
        if slot.id not in self.names:
            self.names[slot.id] = escape(f"{slot.activity.name} {slot.label}")
        return self.names[slot.id]

    def cell(self, cell):
        booking, name, safe = cell.booking, self.name(cell.slot), self.safe
        notes = ASK if cell.ask else ""
        if booking and booking.with_apc:
            notes += WITH_APC
        extra = []  # SafeStrings, joined below
        if cell.apc:
            child, slot = safe(cell.child.first_name), safe(cell.slot.label)
            extra.append(format_html(APC, key=cell.key, child=child, slot=slot))
        if booking:
            extra.append(
                format_html(
                    DETAILS,
                    url=safe(self.bookings_url),
                    pk=booking.pk,
                    child=safe(cell.child.first_name),
                    name=name,
                    day=self.date,
                )
            )
        if cell.wait or cell.entry:
            extra.append(self.waitlist(cell, name))
        return format_html(
            CELLS[(cell.editable, cell.checked)],
            state=safe(cell.state),
            key=cell.key,
            name=name,
            label=safe(cell.label),
            text=safe(cell.text),
            notes=safe(notes),
            extra=mark_safe("".join(extra)),
        )

    def waitlist(self, cell, name):
        """The join checkbox of a full cell, or the link of a cell on a waiting list."""
        child, url = self.safe(cell.child.first_name), self.safe(self.waitlist_url)
        if cell.wait:
            return format_html(JOIN, key=cell.key, child=child, name=name, day=self.date)
        if cell.entry.token and cell.entry.status == "offered":
            return format_html(
                ANSWER, url=url, token=cell.entry.token, child=child, name=name, day=self.date
            )
        return format_html(
            WAITING, url=url, pk=cell.entry.pk, child=child, name=name, day=self.date
        )
