"""Back-office: debits (namespace "backoffice")."""

urlpatterns = []
