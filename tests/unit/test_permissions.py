"""Role and scope tables (C15)."""

from __future__ import annotations

from kizuna.auth.permissions import (
    ROLE_PERMISSIONS,
    Permission,
    role_permissions,
    token_permissions,
)
from kizuna.models.enums import Role

WRITES = {p for p in Permission if p.value.endswith((":write", ":delete", ":admin"))}


def test_every_role_has_a_row() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_admin_can_do_everything() -> None:
    assert role_permissions(Role.ADMIN) == frozenset(Permission)


def test_read_only_writes_nothing() -> None:
    assert not role_permissions(Role.READ_ONLY) & WRITES
    assert Permission.ACCOUNT_READ in role_permissions(Role.READ_ONLY)


def test_only_admins_administer_users_and_fields() -> None:
    for role in Role:
        admin_only = {Permission.USER_ADMIN, Permission.CUSTOM_FIELD_ADMIN}
        assert (role_permissions(role) >= admin_only) == (role is Role.ADMIN)


def test_support_logs_activities_but_cannot_touch_contracts() -> None:
    support = role_permissions(Role.SUPPORT)
    assert Permission.ACTIVITY_WRITE in support
    assert Permission.SUBSCRIPTION_WRITE not in support


def test_token_scopes_narrow_but_never_widen() -> None:
    assert not token_permissions(Role.ADMIN, ["read"]) & WRITES
    assert Permission.USER_ADMIN not in token_permissions(Role.ADMIN, ["write"])
    assert Permission.USER_ADMIN in token_permissions(Role.ADMIN, ["admin"])
    assert token_permissions(Role.READ_ONLY, ["admin"]) == role_permissions(Role.READ_ONLY)
