"""/api/v1/import-mappings: saved column mappings, and the built-in presets."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from kizuna.api.deps import DbSession, ImportRunner
from kizuna.api.schemas import PageOut
from kizuna.importing import saved
from kizuna.importing.presets import list_presets
from kizuna.importing.schemas import PresetOut, SavedMappingIn, SavedMappingOut
from kizuna.models.importing import ImportKind

router = APIRouter(prefix="/import-mappings", tags=["imports"])


@router.get("", response_model=PageOut[SavedMappingOut], summary="List saved mappings")
def list_import_mappings(
    actor: ImportRunner, session: DbSession, kind: ImportKind | None = None
) -> PageOut[SavedMappingOut]:
    with session.begin():
        found = saved.list_mappings(session, actor, kind)
        return PageOut(items=[SavedMappingOut.from_saved(m) for m in found], next_cursor=None)


@router.post("", response_model=SavedMappingOut, status_code=201, summary="Save a mapping")
def create_import_mapping(
    body: SavedMappingIn, actor: ImportRunner, session: DbSession
) -> SavedMappingOut:
    """`definition` (the mapping as a dictionary) or `yaml`; `name` is unique per kind."""
    with session.begin():
        return SavedMappingOut.from_saved(saved.save_mapping(session, actor, body))


@router.get("/presets", response_model=PageOut[PresetOut], summary="List built-in presets")
def list_import_presets(actor: ImportRunner, kind: ImportKind | None = None) -> PageOut[PresetOut]:
    """Mappings for Salesforce, HubSpot and Stripe exports, chosen automatically when an
    uploaded file has every header of a preset's `signature`."""
    return PageOut(items=[PresetOut.from_preset(p) for p in list_presets(kind)], next_cursor=None)


@router.get("/{mapping_id}", response_model=SavedMappingOut, summary="Get a saved mapping")
def get_import_mapping(
    mapping_id: uuid.UUID, actor: ImportRunner, session: DbSession
) -> SavedMappingOut:
    with session.begin():
        return SavedMappingOut.from_saved(saved.get_mapping(session, actor, mapping_id))


@router.delete("/{mapping_id}", status_code=204, summary="Delete a saved mapping")
def delete_import_mapping(
    mapping_id: uuid.UUID, actor: ImportRunner, session: DbSession
) -> Response:
    with session.begin():
        saved.delete_mapping(session, actor, mapping_id)
    return Response(status_code=204)
