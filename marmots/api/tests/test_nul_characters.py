"""A NUL character in any text of a request gets a French 422 and creates nothing.

PostgreSQL cannot store U+0000 in text (it raised a 500 before): run on both databases.
"""

import pytest

from marmots.accounts.models import ApiToken
from marmots.enrollments.models import Enrollment
from tests.factories import PASSWORD

NUL = "\x00"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def assert_refused(response, field):
    assert response.status_code == 422
    body = response.json()
    assert f"{field} : caractère nul (U+0000) interdit" in body["detail"]
    assert body["errors"] == [{"field": field, "message": "caractère nul (U+0000) interdit"}]


@pytest.mark.parametrize(
    "field, data",
    [
        ("email", {"email": f"claire.martin{NUL}@example.org", "password": PASSWORD}),
        ("email", {"email": f"a{NUL}@b.fr", "password": PASSWORD}),
        ("password", {"email": "claire.martin@example.org", "password": f"{PASSWORD}{NUL}"}),
        ("name", {"email": "claire.martin@example.org", "password": PASSWORD, "name": NUL}),
    ],
)
def test_token_request(client, guardian_a, field, data):
    assert_refused(post(client, "/api/v1/auth/token", data), field)
    assert not ApiToken.objects.exists()


def test_enrollment_comment(api_a, child_a, activity):
    data = {
        "child_id": child_a.pk,
        "activity_id": activity.pk,
        "start_date": "2026-09-01",
        "end_date": "2027-07-03",
        "comment": f"Le mardi{NUL}",
    }

    assert_refused(post(api_a, "/api/v1/enrollments", data), "comment")
    assert not Enrollment.objects.exists()


def test_refusal_reason(api_manager, enrollment_a):
    url = f"/api/v1/manager/enrollments/{enrollment_a.pk}/refuse"

    assert_refused(post(api_manager, url, {"reason": f"Complet{NUL}"}), "reason")
    enrollment_a.refresh_from_db()
    assert enrollment_a.status == "pending"
