urlpatterns: list = []  # the portal waiting-list pages (portal:waitlist, portal:waitlist_offer...)
