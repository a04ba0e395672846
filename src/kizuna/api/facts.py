"""/api/v1/facts — the fact catalogue: every fact a condition (segments, tier and
assignment rules, journey criteria, playbook triggers) may name."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.api.deps import AccountReader, DbSession
from kizuna.api.schemas import PageOut
from kizuna.facts.catalogue import fact_specs
from kizuna.facts.conditions import OPS
from kizuna.segment.schemas import FactOut

router = APIRouter(prefix="/facts", tags=["segments"])


@router.get("", response_model=PageOut[FactOut], summary="List the facts conditions may use")
def list_facts(actor: AccountReader, session: DbSession) -> PageOut[FactOut]:
    """Key, kind (number, text, choice, flag, date, tags), Japanese and English names, group,
    display unit, the choices of a choice fact and the operators its kind allows. Custom
    fields and usage metrics appear as they are defined."""
    with session.begin():
        specs = fact_specs(session)
    items = [
        FactOut(
            key=s.key,
            kind=s.kind.value,
            name=s.name,
            name_en=s.name_en,
            group=s.group,
            unit=s.unit,
            choices=list(s.choices),
            ops=list(OPS[s.kind]),
            description=s.description,
            description_en=s.description_en,
        )
        for s in specs.values()
    ]
    return PageOut(items=items, next_cursor=None)
