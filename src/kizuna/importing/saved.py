"""Saved column mappings: a team names the mapping of its monthly export and reuses it.

A saved mapping is checked like any other (:meth:`Mapping.from_dict`) and stored in its
dictionary form; names are unique per kind.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.importing.mapping import Mapping
from kizuna.importing.schemas import SavedMappingIn, mapping_from_text
from kizuna.importing.service import require_import
from kizuna.kit.errors import FieldProblem, Invalid, NotFound
from kizuna.models.importing import ImportKind, SavedMapping


def save_mapping(session: Session, actor: Actor, body: SavedMappingIn) -> SavedMapping:
    """Check and store a named mapping; :class:`Invalid` names ``name`` when it is taken."""
    require_import(actor, body.kind)
    mapping = body.to_mapping()
    if mapping.kind is not body.kind:
        message = f"the mapping is for {mapping.kind}, not {body.kind}"
        raise Invalid(FieldProblem(("mapping", "kind"), "wrong_kind", message))
    name = body.name.strip()
    if _find(session, body.kind, name) is not None:
        message = f"a {body.kind.value} mapping named {name!r} already exists"
        raise Invalid(FieldProblem(("body", "name"), "duplicate", message))
    mapping.name = name
    saved = SavedMapping(
        kind=body.kind, name=name, definition=mapping.to_dict(), created_by_id=actor.user_id
    )
    session.add(saved)
    session.flush()
    audit.record(
        session,
        actor,
        "import_mapping.create",
        "saved_mapping",
        saved.id,
        summary=f"{body.kind.value}: {name}",
        changes={"name": [None, name], "kind": [None, body.kind.value]},
    )
    return saved


def list_mappings(
    session: Session, actor: Actor, kind: ImportKind | None = None
) -> list[SavedMapping]:
    actor.require(Permission.IMPORT_RUN)
    stmt = select(SavedMapping).order_by(SavedMapping.kind, SavedMapping.name)
    if kind is not None:
        stmt = stmt.where(SavedMapping.kind == kind)
    return list(session.scalars(stmt))


def get_mapping(session: Session, actor: Actor, mapping_id: uuid.UUID) -> SavedMapping:
    actor.require(Permission.IMPORT_RUN)
    saved = session.get(SavedMapping, mapping_id)
    if saved is None:
        raise NotFound("saved mapping not found")
    return saved


def delete_mapping(session: Session, actor: Actor, mapping_id: uuid.UUID) -> None:
    saved = get_mapping(session, actor, mapping_id)
    require_import(actor, saved.kind)
    audit.record(
        session,
        actor,
        "import_mapping.delete",
        "saved_mapping",
        saved.id,
        summary=f"{saved.kind.value}: {saved.name}",
        changes={"name": [saved.name, None]},
    )
    session.delete(saved)
    session.flush()


def chosen_mapping(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    *,
    text: str | None = None,
    name: str | None = None,
) -> Mapping | None:
    """The mapping an upload asks for: YAML/JSON ``text``, a saved mapping's ``name``, or
    None (match the columns automatically)."""
    actor.require(Permission.IMPORT_RUN)
    if text is not None and text.strip():
        if name:
            message = "send a mapping or a mapping_name, not both"
            raise Invalid(FieldProblem(("body", "mapping_name"), "ambiguous", message))
        return mapping_from_text(text, kind)
    if not name:
        return None
    saved = _find(session, kind, name.strip())
    if saved is None:
        message = f"no saved {kind.value} mapping named {name!r}"
        raise Invalid(FieldProblem(("body", "mapping_name"), "not_found", message))
    return Mapping.from_dict(saved.definition)


def _find(session: Session, kind: ImportKind, name: str) -> SavedMapping | None:
    stmt = select(SavedMapping).where(SavedMapping.kind == kind, SavedMapping.name == name)
    return session.scalar(stmt)
