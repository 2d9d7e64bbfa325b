"""Back-office: online (namespace "backoffice")."""

urlpatterns = []
