"""manage.py generate_families: synthetic families for benchmarks."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marmots.accounts.models import User
from marmots.enrollments.models import Enrollment
from marmots.families.models import Child, Family


def generate(*args):
    out = StringIO()
    call_command("generate_families", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


def test_fifty_families_with_children_and_validated_enrollments(
    demo, django_assert_max_num_queries
):
    before = Family.objects.count()
    with django_assert_max_num_queries(40):
        output = generate("--families", "50", "--seed", "3")
    assert "50 familles" in output
    assert Family.objects.count() == before + 50
    families = Family.objects.all()
    generated = families.filter(guardians__user__email__startswith="bench3-").distinct()
    assert generated.count() == 50
    assert not generated.filter(children__isnull=True).exists()
    assert not generated.filter(guardians__isnull=True).exists()
    children = Child.objects.filter(family__in=generated)
    assert not children.filter(enrollments__isnull=True).exists()
    enrollments = Enrollment.objects.filter(child__in=children)
    assert set(enrollments.values_list("status", flat=True)) == {Enrollment.VALIDATED}
    assert all(1 <= g.children.count() <= 3 for g in generated)
    assert all(1 <= g.guardians.count() <= 2 for g in generated)


def test_one_shared_password_hash(demo):
    generate("--families", "5")
    hashes = set(
        User.objects.filter(email__startswith="bench1-").values_list("password", flat=True)
    )
    assert len(hashes) == 1
    assert (
        User.objects.filter(email__startswith="bench1-")
        .first()
        .check_password("bench-montagnards-2026")
    )


def generated_data(seed):
    """What --seed decides, in creation order (ids and e-mails depend on the database)."""
    users = User.objects.filter(email__startswith=f"bench{seed}-")
    families = Family.objects.filter(guardians__user__in=users).distinct().order_by("id")
    return [
        (
            family.name,
            [(g.first_name, g.relationship) for g in family.guardians.order_by("id")],
            [(c.first_name, c.birth_date) for c in family.children.order_by("id")],
            [q.value for q in family.quotients.all()],
            sorted(
                Enrollment.objects.for_family(family).values_list("child__first_name", "activity")
            ),
        )
        for family in families
    ]


def delete_generated(seed):
    users = User.objects.filter(email__startswith=f"bench{seed}-")
    families = Family.objects.filter(guardians__user__in=users).distinct()
    Enrollment.objects.filter(child__family__in=families).delete()
    Family.objects.filter(pk__in=list(families.values_list("pk", flat=True))).delete()
    users.delete()


def test_same_seed_same_data(demo):
    generate("--families", "20", "--seed", "9")
    first = generated_data(9)
    delete_generated(9)
    generate("--families", "20", "--seed", "9")
    assert generated_data(9) == first
    delete_generated(9)
    generate("--families", "20", "--seed", "10")
    assert generated_data(10) != first


def test_refuses_bad_input(demo):
    with pytest.raises(CommandError, match="nombre positif"):
        generate("--families", "0")
    with pytest.raises(CommandError, match="structure existante"):
        generate("--families", "5", "--structure", "inconnue")
    generate("--families", "2", "--seed", "4")
    with pytest.raises(CommandError, match="graine 4"):
        generate("--families", "2", "--seed", "4")
    assert Family.objects.count() == 5


def test_needs_activities_and_a_school_year(structure):
    with pytest.raises(CommandError, match="load_demo"):
        generate("--families", "5")
    assert not Family.objects.exists()
