from django.urls import path

from . import views_enrollments as views

urlpatterns = [
    path("", views.enrollment_list, name="enrollments"),
    path("demander/", views.enrollment_request, name="enrollment_request"),
    path("<int:pk>/retirer/", views.enrollment_withdraw, name="enrollment_withdraw"),
    path("<int:pk>/attestation/", views.enrollment_certificate, name="enrollment_certificate"),
]
