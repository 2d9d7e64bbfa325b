"""Every audit action the code records reads as French in the family's history."""

import datetime
import itertools
import re
from pathlib import Path

from django import forms

import marmots
from marmots.accounts.links import PURPOSES
from marmots.activities import forms as settings_forms
from marmots.backoffice.templatetags.backoffice import AUDIT_LABELS, audit_label
from marmots.families.actions import add_child

SOURCES = Path(marmots.__file__).parent
# A dotted lowercase string literal, possibly an f-string with {placeholders}.
ACTION = re.compile(r'(?:\bf)?"((?:[a-z_]+|\{[^}"]+\})(?:\.(?:[a-z_]+|\{[^}"]+\}))+)"')


def _settings_models():
    """Models saved through `save_settings_form`, audited as `<model>.create|update`."""
    return sorted(
        {
            form._meta.model._meta.model_name
            for form in vars(settings_forms).values()
            if isinstance(form, type)
            and issubclass(form, forms.ModelForm)
            and getattr(form._meta, "model", None)
        }
    )


PLACEHOLDERS = {
    "{purpose}": PURPOSES,
    "{saved._meta.model_name}": _settings_models(),
    "{verb}": ["create", "update"],
}


def _expand(action):
    parts = re.split(r"\.(?![^{]*\})", action)  # dots outside {placeholders}
    unknown = [p for p in parts if p.startswith("{") and p not in PLACEHOLDERS]
    assert not unknown, f"{action}: say in PLACEHOLDERS what {unknown} can be"
    choices = [PLACEHOLDERS.get(part, [part]) for part in parts]
    return {".".join(combination) for combination in itertools.product(*choices)}


def recorded_actions():
    """Action strings of the files that write audit entries (module paths left out)."""
    actions = set()
    for path in SOURCES.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        source = path.read_text()
        if "record(" not in source:
            continue
        for action in ACTION.findall(source):
            if not action.startswith("marmots."):
                actions |= _expand(action)
    return actions


def test_every_recorded_action_has_a_french_label():
    actions = recorded_actions()
    # The scan finds the actions of every app, the dynamic ones included.
    assert {"child.create", "api_token.issued", "account.link_sent.reset"} <= actions
    assert {"family.structure_added", "timeslot.update", "enrollment.validate"} <= actions
    assert sorted(actions - set(AUDIT_LABELS)) == []


def test_an_unlisted_action_still_reads_as_french():
    assert audit_label("timeslot.delete") == "Tranche horaire : suppression"
    assert audit_label("quotient.archive") == "Quotient familial : action enregistrée"
    assert audit_label("inconnu.chose") == "Action enregistrée"


def test_the_record_shows_the_labels(client_manager, family_a, manager):
    add_child(
        family_a,
        first_name="Tom",
        last_name="Martin",
        birth_date=datetime.date(2018, 3, 2),
        actor=manager,
    )
    page = client_manager.get(f"/gestion/familles/{family_a.pk}/").content.decode()
    assert "Enfant ajouté" in page and "child.create" not in page
