"""The check-in back-office, under /gestion/pointage/ (namespace "backoffice"): the register
("feuille de présence") and the kiosks."""

from django.urls import path

from . import views_checkin as register
from . import views_kiosks as kiosks

urlpatterns = [
    path("", register.register, name="checkin_register"),
    path("presence/", register.mark, name="checkin_mark"),
    path("pointages/<int:pk>/corriger/", register.correct, name="checkin_correct"),
    path("pointages/ajouter/", register.add_event, name="checkin_add_event"),
    path("tablettes/", kiosks.kiosks, name="checkin_kiosks"),
    path("tablettes/nouvelle/", kiosks.kiosk_create, name="checkin_kiosk_create"),
    path("tablettes/<int:pk>/code/", kiosks.kiosk_code, name="checkin_kiosk_code"),
    path("tablettes/<int:pk>/appairage/", kiosks.kiosk_pairing, name="checkin_kiosk_pairing"),
    path("tablettes/<int:pk>/revoquer/", kiosks.kiosk_revoke, name="checkin_kiosk_revoke"),
]
