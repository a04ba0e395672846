"""/api/v1/potential: expansion potential per account × product, the white-space matrix
and the totals by product, tier or owner."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kizuna.api.deps import DbSession, PipelineWriter, SalesReader
from kizuna.api.schemas import PageOut
from kizuna.auth.actor import Actor
from kizuna.kit.clock import today
from kizuna.models.enums import Tier
from kizuna.potential import service
from kizuna.potential.schemas import (
    Matrix,
    MatrixFilters,
    PotentialCreate,
    PotentialFilters,
    PotentialOut,
    PotentialUpdate,
    Totals,
    TotalsBy,
)
from kizuna.segment import service as segments

router = APIRouter(prefix="/potential", tags=["expansion potential"])


def _data_dir(request: Request) -> Path:
    data_dir: Path = request.app.state.settings.data_dir
    return data_dir


def _cut(
    request: Request, session: DbSession, actor: Actor, segment: uuid.UUID | None
) -> set[uuid.UUID] | None:
    if segment is None:
        return None
    return segments.segment_account_ids(session, actor, segment, data_dir=_data_dir(request))


@router.get("", response_model=PageOut[PotentialOut], summary="List expansion potential")
def list_potential(
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[PotentialFilters, Depends()],
    sort: Annotated[str, Query(description="mrr, created_at, updated_at, account; '-' desc")] = (
        "-mrr"
    ),
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PageOut[PotentialOut]:
    with session.begin():
        page = service.list_potentials(
            session, actor, filters, sort=sort, cursor=cursor, limit=limit
        )
    return PageOut(items=page.items, next_cursor=page.next_cursor)


@router.post("", response_model=PotentialOut, status_code=201, summary="Record potential")
def create_potential(
    body: PotentialCreate, actor: PipelineWriter, session: DbSession
) -> PotentialOut:
    """One per account × product (409 `duplicate_potential` otherwise; PATCH it or PUT).
    `mrr_amount` in minor units; `expected_on` a month (`2026-04`)."""
    with session.begin():
        potential = service.create_potential(session, actor, body)
        return service.get_potential(session, actor, potential.id)


@router.put("", response_model=PotentialOut, summary="Record or replace potential")
def set_potential(body: PotentialCreate, actor: PipelineWriter, session: DbSession) -> PotentialOut:
    """Creates the account × product's potential, or replaces every field of it."""
    with session.begin():
        potential = service.set_potential(session, actor, body)
        return service.get_potential(session, actor, potential.id)


@router.get("/matrix", response_model=Matrix, summary="The white-space matrix")
def matrix(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    filters: Annotated[MatrixFilters, Depends()],
    segment: uuid.UUID | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Matrix:
    """Accounts (by name, paged) × products: `owned` (an active line today), `potential`
    (recorded, not owned), `none`. A potential on an owned product is shown in the owned
    cell (more seats or volume)."""
    with session.begin():
        cut = _cut(request, session, actor, segment)
        return service.matrix(
            session, actor, filters, today=today(actor.timezone), account_ids=cut,
            page=page, per_page=per_page,
        )  # fmt: skip


@router.get("/totals", response_model=Totals, summary="Total potential by product, tier or owner")
def totals(
    request: Request,
    actor: SalesReader,
    session: DbSession,
    by: TotalsBy = TotalsBy.PRODUCT,
    tier: Tier | None = None,
    owner_id: Annotated[uuid.UUID | None, Query(description="the account's CSM")] = None,
    product_id: uuid.UUID | None = None,
    segment: uuid.UUID | None = None,
) -> Totals:
    """Potential MRR per group and currency, unweighted and weighted by confidence (low
    20 %, medium 50 %, high 80 %), largest first; `grand` per currency. Owner is the
    account's CSM."""
    with session.begin():
        cut = _cut(request, session, actor, segment)
        return service.totals(
            session, actor, by=by, tier=tier, owner_id=owner_id, product_id=product_id,
            account_ids=cut,
        )  # fmt: skip


@router.get("/{potential_id}", response_model=PotentialOut, summary="Get potential")
def get_potential(
    request: Request,
    potential_id: uuid.UUID,
    actor: SalesReader,
    session: DbSession,
    evidence: bool = True,
) -> PotentialOut:
    """With `evidence` (default) also the live evidence: the account's seat activation,
    health score and band, days to renewal, and the seats held on the product."""
    with session.begin():
        if not evidence:
            return service.get_potential(session, actor, potential_id)
        return service.get_potential(
            session, actor, potential_id, today=today(actor.timezone), zone=actor.timezone,
            data_dir=_data_dir(request),
        )  # fmt: skip


@router.patch("/{potential_id}", response_model=PotentialOut, summary="Update potential")
def update_potential(
    potential_id: uuid.UUID, body: PotentialUpdate, actor: PipelineWriter, session: DbSession
) -> PotentialOut:
    with session.begin():
        service.update_potential(session, actor, potential_id, body)
        return service.get_potential(session, actor, potential_id)


@router.delete("/{potential_id}", status_code=204, summary="Remove potential")
def delete_potential(
    potential_id: uuid.UUID, actor: PipelineWriter, session: DbSession
) -> Response:
    with session.begin():
        service.delete_potential(session, actor, potential_id)
    return Response(status_code=204)
