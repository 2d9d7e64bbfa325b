"""Filled in by the bookings work."""

urlpatterns = []
