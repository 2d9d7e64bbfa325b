"""A family using two structures: each structure's staff see only the children (and their
history) that use their own structure."""

import datetime

import pytest

from marmots.enrollments.actions import request_enrollment, validate_enrollment
from marmots.families.actions import add_child, update_child
from tests import factories as f


def ask(child, activity, guardian):
    start = datetime.date.today() + datetime.timedelta(days=10)
    end = start + datetime.timedelta(days=60)
    return request_enrollment(child, activity, start_date=start, end_date=end, actor=guardian.user)


@pytest.fixture
def tom(family_a, manager):
    return add_child(
        family_a,
        first_name="Tom",
        last_name="Martin",
        birth_date=datetime.date(2018, 3, 2),
        actor=manager,
        allergies="Arachide",
    )


def record(client, user, family):
    client.force_login(user)
    response = client.get(f"/gestion/familles/{family.pk}/")
    assert response.status_code == 200
    return response


def names(response):
    return [child.first_name for child in response.context["children"]]


def audited(response):
    return sorted((e.action, e.object_type) for e in response.context["audit_entries"])


def test_a_request_elsewhere_shows_only_the_requested_child(
    client, family_a, guardian_a, child_a, tom, activity, other_activity, manager, other_manager
):
    validate_enrollment(ask(child_a, activity, guardian_a), manager)
    client.force_login(other_manager)
    assert client.get(f"/gestion/familles/{family_a.pk}/").status_code == 404
    ask(tom, other_activity, guardian_a)
    assert "Martin" in client.get("/gestion/familles/").content.decode()
    theirs = record(client, other_manager, family_a)
    assert names(theirs) == ["Tom"]
    assert "Arachide" in theirs.content.decode()
    assert audited(theirs) == [("child.create", "child"), ("enrollment.request", "enrollment")]


def test_each_structure_sees_its_own_children_and_history(
    client,
    family_a,
    guardian_a,
    child_a,
    tom,
    activity,
    other_activity,
    manager,
    other_manager,
    structure,
):
    structure.child_fields_needing_validation = ["allergies"]
    structure.save()
    validate_enrollment(ask(child_a, activity, guardian_a), manager)
    validate_enrollment(ask(tom, other_activity, guardian_a), other_manager)
    update_child(tom, {"allergies": "Arachide, kiwi"}, guardian_a.user)  # a pending request
    nina = add_child(
        family_a,
        first_name="Nina",
        last_name="Martin",
        birth_date=datetime.date(2021, 1, 9),
        actor=manager,
    )

    ours = record(client, manager, family_a)
    page = ours.content.decode()
    assert sorted(names(ours)) == ["Léa", "Nina"]
    assert "Arachide" not in page and "Tom" not in page and "Taninges" not in page
    assert [e.action for e in ours.context["audit_entries"]].count("enrollment.validate") == 1
    assert ("family.structure_added", "structure") not in audited(ours)
    assert ("child.change_requested", "changerequest") not in audited(ours)
    assert {str(nina.pk)} == {
        e.object_id for e in ours.context["audit_entries"] if e.object_type == "child"
    }

    theirs = record(client, other_manager, family_a)
    assert sorted(names(theirs)) == ["Nina", "Tom"]  # Nina uses no other structure yet
    assert "Léa" not in theirs.content.decode()
    assert ("family.structure_added", "structure") in audited(theirs)
    assert ("child.change_requested", "changerequest") in audited(theirs)
    assert [e.action for e in theirs.context["audit_entries"]].count("enrollment.validate") == 1
    f.EnrollmentFactory(child=nina, activity=activity, status="cancelled")
    assert sorted(names(record(client, other_manager, family_a))) == ["Nina", "Tom"]
    f.EnrollmentFactory(child=nina, activity=activity)
    assert names(record(client, other_manager, family_a)) == ["Tom"]
