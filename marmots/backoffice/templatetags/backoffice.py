"""Display helpers for the back-office templates."""

import datetime

from django import template
from django.apps import apps
from django.utils.text import capfirst

register = template.Library()


@register.filter
def change_value(value):
    """A change request value in French: Oui/Non, dates dd/mm/yyyy, people one per line."""
    if value is None or value == "" or value == []:
        return "(vide)"
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, list):
        return " ; ".join(_person(item) if isinstance(item, dict) else str(item) for item in value)
    if isinstance(value, str):
        try:
            return f"{datetime.date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    return str(value)


def _person(person):
    details = ", ".join(p for p in (person.get("relationship"), person.get("phone")) if p)
    urgent = " – à appeler en cas d'urgence" if person.get("emergency_contact") else ""
    return f"{person.get('name', '')} ({details}){urgent}" if details else person.get("name", "")


DOCUMENT_STATES = {
    "accepted": ("Acceptée", "ok"),
    "expiring": ("Expire bientôt", "wait"),
    "pending": ("À vérifier", "wait"),
    "expired": ("Expirée", "bad"),
    "refused": ("Refusée", "bad"),
    "missing": ("Manquante", "bad"),
}


@register.filter
def state_label(state):
    return DOCUMENT_STATES.get(state, (state, ""))[0]


@register.filter
def state_class(state):
    return DOCUMENT_STATES.get(state, ("", "wait"))[1]


@register.filter
def child_field_labels(names):
    from marmots.families.fields import CHILD_FIELD_LABELS

    return ", ".join(CHILD_FIELD_LABELS.get(name, name) for name in names or [])


@register.simple_tag(takes_context=True)
def own_structure(context):
    """The first structure of the back-office user, fetched once per request."""
    request = context["request"]
    if not hasattr(request, "_own_structure"):
        structures = getattr(request, "structures", None)
        request._own_structure = structures.first() if structures is not None else None
    return request._own_structure


AUDIT_LABELS = {
    # Families, guardians and accounts
    "family.create": "Famille créée",
    "family.structure_added": "Structure ajoutée à la famille (inscription validée)",
    "guardian.create": "Responsable ajouté",
    "guardian.update": "Coordonnées modifiées",
    "account.email_changed": "Adresse e-mail changée",
    "account.link_sent.init": "Lien d'initialisation envoyé",
    "account.link_sent.reset": "Lien de réinitialisation envoyé",
    "account.password_initialised": "Mot de passe choisi",
    "account.password_reset": "Mot de passe réinitialisé",
    "api_token.issued": "Jeton d'accès à l'API créé",
    "api_token.revoked": "Jeton d'accès à l'API révoqué",
    # Children, change requests, documents, quotients
    "child.create": "Enfant ajouté",
    "child.update": "Fiche enfant modifiée",
    "child.change_requested": "Modification demandée",
    "child.info_checked": "Informations de l'enfant vérifiées",
    "change_request.accept": "Demande de modification acceptée",
    "change_request.refuse": "Demande de modification refusée",
    "document.upload": "Pièce envoyée",
    "document.review": "Pièce vérifiée",
    "quotient.create": "Quotient familial enregistré",
    # Enrollments
    "enrollment.request": "Inscription demandée",
    "enrollment.validate": "Inscription validée",
    "enrollment.refuse": "Inscription refusée",
    "enrollment.cancel": "Demande d'inscription annulée",
    # The structure's settings
    "structure.create": "Structure créée",
    "structure.update": "Fiche de la structure modifiée",
    "period.create": "Période créée",
    "period.update": "Période modifiée",
    "activity.create": "Activité créée",
    "activity.update": "Activité modifiée",
    "timeslot.create": "Tranche horaire créée",
    "timeslot.update": "Tranche horaire modifiée",
    "closure.create": "Fermeture ajoutée",
    "closure.update": "Fermeture modifiée",
    "closure.delete": "Fermeture supprimée",
    "documenttype.create": "Type de pièce créé",
    "documenttype.update": "Type de pièce modifié",
    "publisheddocument.create": "Document publié",
    "publisheddocument.update": "Document publié modifié",
    "publisheddocument.unpublish": "Document retiré de la page publique",
    # Bookings
    "booking.book": "Réservation",
    "slotday.capacity": "Places d'une tranche un jour donné modifiées",
    "booking.book_on_behalf": "Réservation par la structure",
    "booking.cancel": "Annulation sans frais",
    "booking.cancel_late": "Annulation hors délai",
    "booking.absence": "Absence pour maladie déclarée",
    "booking.certificate": "Certificat médical joint",
    "booking.excuse": "Absence ou annulation excusée",
    "booking.request_add": "Demande de réservation",
    "booking.request_cancel": "Demande d'annulation",
    "booking.book_from_waitlist": "Réservation obtenue par la liste d'attente",
    "waitlist.join": "Inscription sur liste d'attente",
    "waitlist.offer": "Place proposée (liste d'attente)",
    "waitlist.book": "Place attribuée (liste d'attente)",
    "waitlist.accept": "Offre de place acceptée",
    "waitlist.decline": "Offre de place refusée",
    "waitlist.withdraw": "Retrait de la liste d'attente par la famille",
    "waitlist.expire": "Offre de place expirée",
    "waitlist.lapse": "Liste d'attente close (jour commencé ou inscription échue)",
    "waitlist.remove": "Retrait de la liste d'attente par la structure",
    "waitlist.promote": "Placé en tête de liste d'attente",
    "allocation.settings": "Attribution des places : critères modifiés",
    "allocation.request": "Demande de places envoyée",
    "allocation.withdraw": "Demande de places retirée",
    "allocation.propose": "Attribution des places : proposition calculée",
    "allocation.adjust": "Attribution des places : ligne ajustée",
    "allocation.confirm": "Attribution des places confirmée",
    "booking_request.accepted": "Demande de réservation acceptée",
    "booking_request.refused": "Demande de réservation refusée",
    "booking_request.withdrawn": "Demande de réservation retirée",
    # Holiday opening (issue 3: automatic validation at opening)
    "enrollment.auto_validate": "Inscription validée automatiquement à l'ouverture",
    # Family portal bookings (issue 3: calendar, iCal feed)
    "calendar_feed.renew": "Adresse de l'agenda (iCal) créée ou renouvelée",
    # Weekly template (issue 3: semaine type and bookings API)
    "weekly_template.save": "Semaine type enregistrée",
    # Booking settings (issue 3: back-office bookings and settings)
    "deadlinepolicy.create": "Délai de réservation créé",
    "deadlinepolicy.update": "Délai de réservation modifié",
    "agegroupcapacity.create": "Places par tranche d'âge ajoutées",
    "agegroupcapacity.update": "Places par tranche d'âge modifiées",
    "agegroupcapacity.delete": "Places par tranche d'âge supprimées",
    # Check-in kiosk and register (issue 4)
    "kiosk.created": "Tablette de pointage créée",
    "kiosk.pairing_code": "Code d'appairage de tablette créé",
    "kiosk.paired": "Tablette de pointage appairée",
    "kiosk.revoked": "Tablette de pointage révoquée",
    "kiosk.keypad_locked": "Tablette : saisie bloquée après des codes incorrects",
    "family_key.pin_set": "Code famille de pointage choisi",
    "family_key.card_renewed": "Carte de pointage renouvelée",
    "checkin.recorded": "Pointage à la tablette",
    "checkin.correct": "Pointage corrigé par l'équipe",
    "checkin.void": "Pointage annulé par l'équipe",
    "checkin.staff_add": "Pointage ajouté par l'équipe",
    "register.mark": "Présence notée au registre",
    # Billing settings (issue 5: tariffs, billing settings, third-party aid)
    "tariff.create": "Tarif créé",
    "tariff.update": "Tarif modifié",
    "tariff.end": "Tarif terminé (remplacé par un nouveau tarif)",
    "tariff.replace": "Nouveau tarif à partir d'une date",
    "billing_settings.update": "Réglages de facturation modifiés",
    "aid.create": "Aide d'un tiers enregistrée",
    "aid.update": "Aide d'un tiers modifiée",
    "aid.end": "Aide d'un tiers terminée",
    # Billing (issue 5: invoicing engine)
    "invoicing.start": "Facturation mensuelle lancée",
    "invoicing.recompute": "Brouillon de facturation recalculé",
    "invoicing.discard": "Facturation mensuelle abandonnée",
    "invoicing.issue": "Factures émises",
    "anomaly.review": "Anomalie de facturation vérifiée",
    "anomaly.review_kind": "Anomalies de facturation vérifiées en bloc",
    "invoice.credit_note": "Avoir émis",
    "payment.record": "Règlement enregistré",
    # Manual payments and deposit slips (issue 6)
    "payment.credit_apply": "Avoir disponible imputé sur des factures",
    "deposit.create": "Bordereau de remise en banque établi",
    # Reminders for unpaid invoices (issue 6)
    "billing_settings.reminder_days": "Seuils de relance des factures modifiés",
    "reminder.create": "Relance d'une facture impayée envoyée",
    # SEPA direct debit (issue 6)
    "debit_settings.update": "Réglages du prélèvement modifiés",
    "mandate.create": "Mandat de prélèvement enregistré",
    "mandate.revoke": "Mandat de prélèvement révoqué",
    "debit_batch.create": "Remise de prélèvements créée",
    "debit_batch.collect": "Remise de prélèvements encaissée",
    "debit_batch.cancel": "Remise de prélèvements annulée",
    "debit_item.reject": "Prélèvement rejeté par la banque",
    # Online card payment (issue 6)
    "online_payment.start": "Paiement en ligne commencé",
    "online_payment.end": "Paiement en ligne non abouti (refus, abandon, erreur)",
    "payment.online": "Paiement en ligne reçu",
    "provider_settings.update": "Prestataire de paiement en ligne modifié",
}

VERBS = {"create": "création", "update": "modification", "delete": "suppression"}


def _model_label(model_name):
    for model in apps.get_models():
        if model._meta.model_name == model_name:
            return capfirst(model._meta.verbose_name)
    return None


@register.filter
def audit_label(action):
    """The French label of an audit action; an unlisted one reads "<Objet> : <verbe>"."""
    if action in AUDIT_LABELS:
        return AUDIT_LABELS[action]
    subject, _, verb = (action or "").partition(".")
    label = _model_label(subject)
    if label is None:
        return "Action enregistrée"
    return f"{label} : {VERBS.get(verb, 'action enregistrée')}"
