from django.urls import path

from . import views_enrollments as views

urlpatterns = [
    path("", views.enrollment_list, name="enrollments"),
    path("<int:pk>/", views.enrollment_detail, name="enrollment_detail"),
    path("<int:pk>/valider/", views.enrollment_validate, name="enrollment_validate"),
    path("<int:pk>/refuser/", views.enrollment_refuse, name="enrollment_refuse"),
]
