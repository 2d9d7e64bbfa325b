"""Family portal: payments (namespace "portal")."""

urlpatterns = []
