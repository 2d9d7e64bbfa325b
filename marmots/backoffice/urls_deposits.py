"""Back-office: deposits (namespace "backoffice")."""

urlpatterns = []
