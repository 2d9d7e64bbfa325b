from django import forms
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.utils import translation

from .ratelimit import client_ip, login_allowed, login_failed

TOO_MANY_ATTEMPTS = (
    "Trop de tentatives de connexion. Patientez un quart d'heure avant de réessayer, "
    "ou demandez un nouveau mot de passe."
)
WRONG_CREDENTIALS = (
    "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie : l'adresse est celle "
    "que vous avez donnée à l'association."
)


def _email_field():
    return forms.EmailField(
        label="Adresse e-mail",
        max_length=254,
        error_messages={
            "required": "Indiquez votre adresse e-mail.",
            "invalid": "Cette adresse e-mail n'est pas valide (exemple : nom@exemple.fr).",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class LoginForm(forms.Form):
    email = _email_field()
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        error_messages={"required": "Indiquez votre mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)

    def clean(self):
        email = self.cleaned_data.get("email")
        password = self.cleaned_data.get("password")
        if email and password:
            ip = client_ip(self.request)
            if not login_allowed(email, ip):
                raise ValidationError(TOO_MANY_ATTEMPTS, code="rate_limited")
            self.user = authenticate(self.request, email=email, password=password)
            if self.user is None:
                login_failed(email, ip)
                raise ValidationError(WRONG_CREDENTIALS, code="invalid_login")
        return self.cleaned_data


class EmailForm(forms.Form):
    email = _email_field()


class ChoosePasswordForm(forms.Form):
    password1 = forms.CharField(
        label="Nouveau mot de passe",
        strip=False,
        error_messages={"required": "Choisissez un mot de passe."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Le même mot de passe, une seconde fois",
        strip=False,
        error_messages={"required": "Saisissez le mot de passe une seconde fois."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        with translation.override("fr"):
            rules = password_validation.password_validators_help_texts()
        self.fields["password1"].help_text = " ".join(str(rule) for rule in rules)

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise ValidationError("Les deux mots de passe ne sont pas identiques.")
        return password2

    def clean_password1(self):
        password = self.cleaned_data["password1"]
        with translation.override("fr"):
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                raise ValidationError([str(message) for message in error.messages]) from None
        return password
