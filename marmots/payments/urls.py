"""Public payment endpoints: the providers' notifications and, in demo mode only, the simulated
bank (namespace "payments")."""

app_name = "payments"

urlpatterns = []
