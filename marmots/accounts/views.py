from django.contrib.auth import views as auth_views


def login_view(request):
    return auth_views.LoginView.as_view(template_name="accounts/login.html")(request)
