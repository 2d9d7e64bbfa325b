from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("lien/<str:purpose>/<str:uidb64>/<str:token>/", views.link, name="link"),
    # A link damaged by a copy and paste (no final slash, trailing '.' or '>'...) still lands.
    re_path(r"^lien/(?P<purpose>[^/]+)/(?P<uidb64>[^/]+)/(?P<token>.+)$", views.link),
    path("mot-de-passe-oublie/", views.forgot_password, name="forgot_password"),
    path("mot-de-passe-oublie/envoye/", views.forgot_password_sent, name="forgot_password_sent"),
]
