"""The manager's provider settings form: the kind, then each kind's options as plain fields.
The secret itself is never asked: only the name of the environment variable holding it (a
`MARMOTS_PAYMENT_...` one). No address is asked either: the deployment sets the providers'
(settings MARMOTS_PAYFIP_SERVICE_URL, MARMOTS_SYSTEMPAY_SERVICE_URL)."""

from django import forms
from django.conf import settings

from .models import ProviderSettings
from .providers import BAD_SECRET_NAME, ENV_PREFIX, SECRET_NAME

# (form field, option name in ProviderSettings.options) of each kind.
OPTION_FIELDS = {
    ProviderSettings.PAYFIP: [
        ("payfip_numcli", "numcli"),
        ("payfip_saisie", "saisie"),
    ],
    ProviderSettings.SYSTEMPAY: [
        ("systempay_site_id", "vads_site_id"),
        ("systempay_ctx_mode", "vads_ctx_mode"),
        ("systempay_signature_algo", "signature_algo"),
    ],
}


class ProviderSettingsForm(forms.Form):
    kind = forms.ChoiceField(label="Prestataire", choices=ProviderSettings.KINDS, required=False)
    minimum_amount = forms.DecimalField(
        label="Montant minimum d'un paiement en ligne (€)",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        localize=True,
        error_messages={"required": "Indiquez le montant minimum (0 : aucun)."},
    )
    payfip_numcli = forms.CharField(
        label="PayFiP : numéro client (6 chiffres)", required=False, max_length=6
    )
    payfip_saisie = forms.ChoiceField(
        label="PayFiP : mode",
        choices=[
            ("T", "T – test (aucun paiement réel)"),
            ("X", "X – activation"),
            ("W", "W – production"),
        ],
        initial="T",
        required=False,
    )
    systempay_site_id = forms.CharField(
        label="SystemPay : identifiant de la boutique (vads_site_id, 8 chiffres)",
        required=False,
        max_length=8,
    )
    systempay_ctx_mode = forms.ChoiceField(
        label="SystemPay : mode",
        choices=[("TEST", "TEST (aucun paiement réel)"), ("PRODUCTION", "PRODUCTION")],
        initial="TEST",
        required=False,
    )
    systempay_signature_algo = forms.ChoiceField(
        label="SystemPay : algorithme de signature",
        choices=[("sha1", "SHA-1"), ("hmac_sha256", "HMAC-SHA-256")],
        initial="hmac_sha256",
        required=False,
    )
    secret_env = forms.CharField(
        label="Nom de la variable d'environnement qui contient la clé (SystemPay)",
        required=False,
        max_length=100,
        help_text=f"Par exemple {ENV_PREFIX}SYSTEMPAY_KEY. La clé elle-même n'est jamais "
        "saisie ici : l'hébergeur la définit sur le serveur.",
    )

    @classmethod
    def initial_for(cls, provider):
        initial = {
            "kind": provider.kind,
            "minimum_amount": provider.minimum_amount,
            "secret_env": provider.secret_env,
        }
        for name, option in OPTION_FIELDS.get(provider.kind, []):
            if provider.options.get(option) is not None:
                initial[name] = provider.options[option]
        return initial

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or ""
        if kind == ProviderSettings.DUMMY and not settings.MARMOTS_DEMO_BANK:
            self.add_error("kind", "La banque simulée n'est disponible qu'en démonstration.")
        if kind == ProviderSettings.PAYFIP:
            numcli = data.get("payfip_numcli") or ""
            if not (numcli.isdigit() and len(numcli) == 6):
                self.add_error("payfip_numcli", "Le numéro client PayFiP compte 6 chiffres.")
        if kind == ProviderSettings.SYSTEMPAY:
            site = data.get("systempay_site_id") or ""
            if not (site.isdigit() and len(site) == 8):
                self.add_error("systempay_site_id", "L'identifiant de boutique compte 8 chiffres.")
            if not SECRET_NAME.match(data.get("secret_env") or ""):
                self.add_error("secret_env", BAD_SECRET_NAME)
        return data

    def options(self):
        """The chosen kind's options, as stored in ProviderSettings.options."""
        data = self.cleaned_data
        return {
            option: data[name]
            for name, option in OPTION_FIELDS.get(data["kind"], [])
            if data.get(name) not in (None, "")
        }
