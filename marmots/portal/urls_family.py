from django.urls import path

from . import views, views_dashboard, views_details, views_documents, views_family

# Included at the site root: public pages first, then the family's own pages under /portail/.
urlpatterns = [
    path("calendrier-des-inscriptions/", views.registration_calendar, name="calendar"),
    path("documents-publics/<int:pk>/", views.published_document, name="published_document"),
    path("structures/<slug:slug>/logo/", views.structure_logo, name="structure_logo"),
    path("portail/famille/", views_family.family, name="family"),
    path("portail/famille/enfant/<int:pk>/", views_family.child_detail, name="child"),
    path("portail/famille/enfant/<int:pk>/modifier/", views_family.child_edit, name="child_edit"),
    path("portail/famille/verification/", views_family.check_start, name="check"),
    path("portail/famille/verification/<int:pk>/", views_family.check_child, name="check_child"),
    path("portail/coordonnees/", views_details.details, name="details"),
    path("portail/documents/", views_documents.documents, name="documents"),
    path(
        "portail/documents/<int:pk>/telecharger/",
        views_documents.document_download,
        name="document_download",
    ),
    path("portail/tableau-de-bord/", views_dashboard.dashboard, name="dashboard"),
]
