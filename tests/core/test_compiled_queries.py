"""A compiled query gives the rows, related objects and annotations its queryset gives, in
one query, and refuses markers it cannot place."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F, Value
from django.db.models.functions import Concat

from core.compiled_queries import CompiledQuery
from core.models import Membership

pytestmark = pytest.mark.django_db


def _memberships(user_id: int, prefix: str):  # noqa: ANN202
    return (
        Membership.objects.filter(user_id=user_id)
        .select_related("team", "user")
        .annotate(
            label=Concat(Value(prefix), F("team__name")),
            members=Count("team__memberships"),
        )
        .defer("user__email")
        .order_by("team__name")
    )


MEMBERSHIPS = CompiledQuery(_memberships, user_id=-123_456_789, prefix="\x00prefix\x00")


def _fields(obj) -> dict:  # noqa: ANN001
    return {name: value for name, value in vars(obj).items() if name != "_state"}


def test_it_gives_what_the_queryset_gives(team, manager, teammate, outsider) -> None:  # noqa: ANN001
    for user in (manager, teammate, outsider):
        expected = list(_memberships(user.pk, "team: "))
        got = MEMBERSHIPS.all(user_id=user.pk, prefix="team: ")
        assert [_fields(row) for row in got] == [_fields(row) for row in expected]
        for row, want in zip(got, expected, strict=True):
            assert row.label == "team: Platform" and row.members == 4
            assert _fields(row.team) == _fields(want.team)
            assert _fields(row.user) == _fields(want.user)
            assert row.user.get_deferred_fields() == {"email"}
            assert not row._state.adding and row._state.db == "default"
    assert MEMBERSHIPS.first(user_id=outsider.pk, prefix="") is None


def test_it_runs_one_query(team, manager, django_assert_num_queries) -> None:  # noqa: ANN001
    MEMBERSHIPS.first(user_id=manager.pk, prefix="")
    with django_assert_num_queries(1):
        assert MEMBERSHIPS.first(user_id=manager.pk, prefix="").team.name == "Platform"


def test_it_needs_every_value_and_no_other() -> None:
    with pytest.raises(TypeError):
        MEMBERSHIPS.first(user_id=1)
    with pytest.raises(TypeError):
        MEMBERSHIPS.first(user_id=1, prefix="", other=2)


def test_a_marker_that_lands_nowhere_or_twice_is_refused() -> None:
    nowhere = CompiledQuery(lambda user_id: Membership.objects.filter(user_id=1), user_id=-5)
    with pytest.raises(ImproperlyConfigured, match="not among the parameters"):
        nowhere.first(user_id=1)
    shared = CompiledQuery(
        lambda user_id, team_id: Membership.objects.filter(user_id=user_id, team_id=team_id),
        user_id=-5,
        team_id=-5,
    )
    with pytest.raises(ImproperlyConfigured, match="share a parameter"):
        shared.first(user_id=1, team_id=2)


def test_it_counts_what_the_queryset_counts(team, manager, teammate, outsider) -> None:  # noqa: ANN001
    for user in (manager, teammate, outsider):
        assert MEMBERSHIPS.count(user_id=user.pk, prefix="x") == _memberships(user.pk, "x").count()
    everyone = CompiledQuery(
        lambda team_id: Membership.objects.filter(team_id=team_id).distinct(), team_id=-7
    )
    assert everyone.count(team_id=team.pk) == Membership.objects.filter(team=team).count() > 1
    with pytest.raises(TypeError):
        everyone.count(team_id=team.pk, other=1)


def test_it_counts_in_one_query(team, manager, django_assert_num_queries) -> None:  # noqa: ANN001
    MEMBERSHIPS.count(user_id=manager.pk, prefix="x")
    with django_assert_num_queries(1):
        assert MEMBERSHIPS.count(user_id=manager.pk, prefix="x") == 1
