"""How the API knows who calls: a bearer token (programs) or the browser session (with CSRF).

Both return the user; views read it from `request.auth`, never from `request.user`.
"""

import datetime

from django.conf import settings
from django.utils import timezone
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from marmots.accounts.models import ApiToken

# "Last used" is written at most once a minute per token: not one write per API call.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class TokenAuth(HttpBearer):
    openapi_description = (
        "Jeton d'accès obtenu par POST /api/v1/auth/token, envoyé dans l'en-tête "
        "« Authorization: Bearer <jeton> ». Révocable par DELETE /api/v1/auth/token."
    )

    def authenticate(self, request, token):
        # The guardian and the family come with the token: every family route needs them.
        api_token = (
            ApiToken.objects.select_related("user__guardian__family")
            .filter(key_hash=ApiToken.hash(token))
            .first()
        )
        if api_token is None or api_token.revoked_at or not api_token.user.is_active:
            raise AuthenticationError(message="Jeton d'accès invalide ou révoqué.")
        now = timezone.now()
        last = api_token.last_used_at
        if last is None or now - last > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
            api_token.last_used_at = now
        request.api_token = api_token
        return api_token.user


class SessionAuth(APIKeyCookie):
    """The portal's session cookie. Unsafe methods also need Django's CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "Session du navigateur (cookie de connexion du portail). Les méthodes POST, PUT, "
        "PATCH et DELETE exigent en plus l'en-tête X-CSRFToken (cookie csrftoken)."
    )

    def _get_key(self, request):
        # CSRF is checked only once the session is known to be used (see authenticate), so
        # that a program sending a bad token gets 401, not a CSRF error.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request):
                raise AuthorizationError(
                    message="Jeton CSRF absent ou invalide : rechargez la page et réessayez."
                )
        return request.user


token_auth = TokenAuth()
session_auth = SessionAuth()
# The bearer token comes first: a program never depends on a cookie.
default_auth = [token_auth, session_auth]
