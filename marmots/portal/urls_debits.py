"""Family portal: debits (namespace "portal")."""

urlpatterns = []
