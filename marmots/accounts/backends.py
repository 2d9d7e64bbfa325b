from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailBackend(ModelBackend):
    """Authenticate with the e-mail address, whatever its case."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip()
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        """The session's user, with their guardian record and family in the same query: every
        portal page needs them (None for staff, who have no guardian record)."""
        user = User._default_manager.select_related("guardian__family").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
