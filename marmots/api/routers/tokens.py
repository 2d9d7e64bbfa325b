"""Bearer tokens for programs: obtain one with an e-mail and a password, revoke it."""

from django.contrib.auth import authenticate
from ninja import Router, Status
from ninja.errors import HttpError

from marmots.accounts.ratelimit import client_ip, login_allowed, login_failed

from ..auth import token_auth
from ..schemas import ErrorOut, TokenIn, TokenOut
from ..tokens import issue_token, revoke_token

router = Router(tags=["Authentification"])

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion : réessayez dans quinze minutes."


@router.post(
    "/token",
    auth=None,
    response={201: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Obtenir un jeton d'accès",
)
def obtain_token(request, data: TokenIn):
    """Exchange an e-mail and a password for a bearer token (failures limited like the login)."""
    email, ip = data.email.strip(), client_ip(request)
    if not login_allowed(email, ip):
        raise HttpError(429, TOO_MANY)
    user = authenticate(request, email=email, password=data.password)
    if user is None:
        login_failed(email, ip)
        raise HttpError(401, BAD_CREDENTIALS)
    token, key = issue_token(user, data.name)
    return Status(201, {"token": key, "name": token.name, "created_at": token.created_at})


@router.delete(
    "/token",
    auth=token_auth,
    response={204: None, 401: ErrorOut},
    summary="Révoquer le jeton utilisé",
)
def revoke_current_token(request):
    """Revoke the token this request is authenticated with."""
    revoke_token(request.api_token, actor=request.auth)
    return Status(204, None)
