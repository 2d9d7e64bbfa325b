urlpatterns: list = []  # back-office waiting lists (backoffice:waitlist...)
