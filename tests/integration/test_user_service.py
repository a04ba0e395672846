"""User services the web pages call directly (pickers and the language switch)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from factories import make_user
from kizuna.auth.service import actor_for_user
from kizuna.models import AuditEvent
from kizuna.models.enums import Role
from kizuna.user import service


def test_list_active_users_skips_inactive(session: Session) -> None:
    active = make_user(session, name="在籍")
    gone = make_user(session, name="退職", is_active=False)
    ids = {u.id for u in service.list_active_users(session, actor_for_user(active))}
    assert active.id in ids
    assert gone.id not in ids


def test_update_own_locale_is_audited_and_ignores_unknown(session: Session) -> None:
    me = make_user(session, Role.READ_ONLY)
    actor = actor_for_user(me)
    service.update_own_locale(session, actor, "xx")
    assert me.locale == "ja"
    service.update_own_locale(session, actor, "en")
    assert me.locale == "en"
    session.flush()
    events = session.query(AuditEvent).filter_by(object_id=str(me.id)).all()
    assert [e.changes for e in events] == [{"locale": ["ja", "en"]}]
