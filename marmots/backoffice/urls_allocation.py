urlpatterns: list = []  # back-office allocation screens (backoffice:allocation...)
