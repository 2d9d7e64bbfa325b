"""Back-office: the payments journal and bank deposit slips, under /gestion/remises/
(namespace "backoffice")."""

from django.urls import path

from . import views_deposits as views

urlpatterns = [
    path("", views.journal, name="deposits"),
    path("bordereaux/", views.slip_list, name="deposit_slips"),
    path("bordereaux/nouveau/", views.slip_create, name="deposit_slip_create"),
    path("bordereaux/<int:pk>/", views.slip_detail, name="deposit_slip"),
    path("bordereaux/<int:pk>/pdf/", views.slip_pdf, name="deposit_slip_pdf"),
]
