"""Account tags: free-form labels (``renewal-risk``, ``case-study``) that segments, tier
rules and playbooks can test (the ``tags`` fact).

A tag is 1–64 characters after trimming, keeps its case, and has no comma (commas separate
tags wherever people type several). Changing tags needs ACCOUNT_WRITE on the account and is
audited on the account as ``{"tags": [old, new]}``.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kizuna.account.service import access_account
from kizuna.audit import service as audit
from kizuna.auth.actor import Actor
from kizuna.auth.permissions import Permission
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.account import Account
from kizuna.models.segment import AccountTag
from kizuna.segment.schemas import TagCount

MAX_LENGTH = 64
MAX_TAGS = 100


def clean_tags(raw: Iterable[str], *, field: str = "tags") -> list[str]:
    """Trimmed, de-duplicated tags in the order given; ``Invalid`` names each bad one."""
    out: list[str] = []
    problems: list[FieldProblem] = []
    for n, value in enumerate(raw):
        tag = unicodedata.normalize("NFC", str(value)).strip()
        where = ("body", field, n)
        if not tag:
            problems.append(FieldProblem(where, "blank", "a tag cannot be blank"))
        elif len(tag) > MAX_LENGTH:
            problems.append(FieldProblem(where, "too_long", f"at most {MAX_LENGTH} characters"))
        elif "," in tag:
            problems.append(FieldProblem(where, "comma", "a tag cannot contain a comma"))
        elif tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        problems.append(FieldProblem(("body", field), "too_many", f"at most {MAX_TAGS} tags"))
    if problems:
        raise Invalid(problems)
    return out


def account_tags(session: Session, actor: Actor, account_id: uuid.UUID) -> list[str]:
    access_account(session, actor, account_id)
    return _current(session, account_id)


def _current(session: Session, account_id: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            select(AccountTag.tag)
            .where(AccountTag.account_id == account_id)
            .order_by(AccountTag.tag)
        )
    )


def set_tags(
    session: Session, actor: Actor, account_id: uuid.UUID, tags: Iterable[str]
) -> list[str]:
    """Make the account's tags exactly ``tags``."""
    account = access_account(session, actor, account_id, write=True)
    wanted = clean_tags(tags)
    return _write(session, actor, account, set(wanted))


def add_tags(
    session: Session, actor: Actor, account_id: uuid.UUID, tags: Iterable[str]
) -> list[str]:
    account = access_account(session, actor, account_id, write=True)
    added = clean_tags(tags)
    return _write(session, actor, account, set(_current(session, account_id)) | set(added))


def remove_tags(
    session: Session, actor: Actor, account_id: uuid.UUID, tags: Iterable[str]
) -> list[str]:
    account = access_account(session, actor, account_id, write=True)
    gone = {str(t).strip() for t in tags}
    return _write(session, actor, account, set(_current(session, account_id)) - gone)


def _write(session: Session, actor: Actor, account: Account, wanted: set[str]) -> list[str]:
    current = set(_current(session, account.id))
    if len(wanted) > MAX_TAGS:
        raise Invalid(FieldProblem(("body", "tags"), "too_many", f"at most {MAX_TAGS} tags"))
    removed, added = current - wanted, wanted - current
    if removed:
        session.execute(
            delete(AccountTag).where(
                AccountTag.account_id == account.id, AccountTag.tag.in_(removed)
            )
        )
    for tag in sorted(added):
        session.add(AccountTag(account_id=account.id, tag=tag))
    if removed or added:
        session.flush()
        audit.record(
            session,
            actor,
            "account.tags",
            "account",
            account.id,
            summary=account.name,
            changes={"tags": [sorted(current), sorted(wanted)]},
        )
    return sorted(wanted)


def list_tags(session: Session, actor: Actor) -> list[TagCount]:
    """Every tag in use with how many accounts carry it, most used first."""
    actor.require(Permission.ACCOUNT_READ)
    rows = session.execute(
        select(AccountTag.tag, func.count())
        .group_by(AccountTag.tag)
        .order_by(func.count().desc(), AccountTag.tag)
    ).all()
    return [TagCount(tag=tag, accounts=int(n)) for tag, n in rows]
