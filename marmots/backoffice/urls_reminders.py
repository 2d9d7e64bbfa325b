"""Back-office: reminders (namespace "backoffice")."""

urlpatterns = []
