urlpatterns: list = []  # the portal allocation request pages (portal:allocation...)
