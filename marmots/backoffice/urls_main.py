from django.urls import path

from . import views_families as families
from . import views_requests as requests
from . import views_settings as settings

urlpatterns = [
    path("familles/", families.family_list, name="families"),
    path("familles/nouvelle/", families.family_create, name="family_create"),
    path("familles/<int:pk>/", families.family_detail, name="family_detail"),
    path("familles/<int:pk>/responsables/ajouter/", families.guardian_add, name="guardian_add"),
    path(
        "familles/<int:pk>/responsables/<int:guardian_pk>/lien/",
        families.guardian_send_link,
        name="guardian_send_link",
    ),
    path(
        "familles/<int:pk>/responsables/<int:guardian_pk>/email/",
        families.guardian_email,
        name="guardian_email",
    ),
    path("familles/<int:pk>/quotients/ajouter/", families.quotient_add, name="quotient_add"),
    path("familles/<int:pk>/enfants/ajouter/", families.child_add, name="child_add"),
    path("demandes/", requests.change_requests, name="change_requests"),
    path(
        "demandes/<int:pk>/decision/", requests.change_request_decide, name="change_request_decide"
    ),
    path("documents/", requests.documents, name="documents"),
    path("documents/<int:pk>/fichier/", requests.document_file, name="document_file"),
    path("documents/<int:pk>/decision/", requests.document_decide, name="document_decide"),
    path("periodes/", settings.periods, name="periods"),
    path("periodes/nouvelle/", settings.period_create, name="period_create"),
    path("periodes/<int:pk>/", settings.period_edit, name="period_edit"),
    path("delais/nouveau/", settings.deadline_create, name="deadline_create"),
    path("delais/<int:pk>/", settings.deadline_edit, name="deadline_edit"),
    path("activites/", settings.activities, name="activities"),
    path("activites/nouvelle/", settings.activity_create, name="activity_create"),
    path("activites/<int:pk>/", settings.activity_edit, name="activity_edit"),
    path(
        "activites/<int:activity_pk>/tranches/nouvelle/", settings.slot_create, name="slot_create"
    ),
    path("tranches/<int:pk>/", settings.slot_edit, name="slot_edit"),
    path(
        "tranches/<int:slot_pk>/ages/nouvelle/",
        settings.age_group_create,
        name="age_group_create",
    ),
    path("ages/<int:pk>/", settings.age_group_edit, name="age_group_edit"),
    path("ages/<int:pk>/supprimer/", settings.age_group_delete, name="age_group_delete"),
    path("fermetures/", settings.closures, name="closures"),
    path("fermetures/nouvelle/", settings.closure_create, name="closure_create"),
    path("fermetures/<int:pk>/", settings.closure_edit, name="closure_edit"),
    path("fermetures/<int:pk>/supprimer/", settings.closure_delete, name="closure_delete"),
    path("pieces/", settings.document_types, name="document_types"),
    path("pieces/nouvelle/", settings.document_type_create, name="document_type_create"),
    path("pieces/<int:pk>/", settings.document_type_edit, name="document_type_edit"),
    path("publications/", settings.publications, name="publications"),
    path("publications/nouvelle/", settings.publication_create, name="publication_create"),
    path(
        "publications/<int:pk>/retirer/",
        settings.publication_unpublish,
        name="publication_unpublish",
    ),
    path("structure/", settings.structures, name="structures"),
    path("structure/<int:pk>/", settings.structure_edit, name="structure_edit"),
]
