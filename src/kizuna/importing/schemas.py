"""API shapes of imports, saved mappings and presets (Pydantic, separate from the ORM)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kizuna.importing.mapping import Mapping, dump_mapping
from kizuna.importing.presets import Preset
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.importing import ImportKind, ImportRun, ImportStatus, SavedMapping
from kizuna.models.job import Job, JobStatus

SHOWN_PROBLEMS = 100  # the first problems in the status; the CSV report has them all
_MAPPING_KEYS = ("name", "kind", "columns", "values", "options")


def mapping_from(data: object, kind: ImportKind) -> Mapping:
    """A checked mapping from its dictionary form, ``kind`` filled in when it is left out."""
    if isinstance(data, dict) and data.get("kind") is None:
        data = {**data, "kind": kind.value}
    return Mapping.from_dict(data)


def mapping_from_text(text: str, kind: ImportKind) -> Mapping:
    """A mapping from YAML (or JSON, which is YAML) text; :class:`Invalid` names bad keys."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("mapping",), "invalid_yaml", str(exc))) from None
    return mapping_from(data, kind)


# --- mappings --------------------------------------------------------------------------


class MappingOut(BaseModel):
    """A column mapping: target field → source header(s), value translations, options;
    ``yaml`` is the same mapping as the editable YAML text."""

    name: str | None
    kind: ImportKind
    columns: dict[str, str | list[str]]
    values: dict[str, dict[str, str]]
    options: dict[str, Any]
    yaml: str

    @classmethod
    def from_mapping(cls, mapping: Mapping) -> MappingOut:
        return cls.model_validate({**mapping.to_dict(), "yaml": dump_mapping(mapping)})


class MappingIn(BaseModel):
    """A new mapping for an import: its dictionary form, or ``{"yaml": "..."}``.

    ``kind`` may be left out (the import's kind). ``skip_invalid``, when sent, also
    changes whether confirming imports the good rows and skips the bad ones.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    kind: ImportKind | None = None
    columns: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=1_000_000)
    skip_invalid: bool | None = None

    @model_validator(mode="after")
    def _has_mapping(self) -> MappingIn:
        if self.yaml is None and self.columns is None:
            raise ValueError("send the mapping (at least columns) or yaml")
        return self

    def to_mapping(self, kind: ImportKind) -> Mapping:
        if self.yaml is not None:
            return mapping_from_text(self.yaml, kind)
        return mapping_from(self.model_dump(include=set(_MAPPING_KEYS), exclude_none=True), kind)


class SavedMappingIn(BaseModel):
    """A named mapping to reuse: ``definition`` (dictionary form) or ``yaml``, not both."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    kind: ImportKind
    definition: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=1_000_000)

    @model_validator(mode="after")
    def _one_form(self) -> SavedMappingIn:
        if (self.definition is None) == (self.yaml is None):
            raise ValueError("send either definition or yaml")
        return self

    def to_mapping(self) -> Mapping:
        if self.yaml is not None:
            return mapping_from_text(self.yaml, self.kind)
        return mapping_from(self.definition, self.kind)


class SavedMappingOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: ImportKind
    mapping: MappingOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_saved(cls, saved: SavedMapping) -> SavedMappingOut:
        return cls(
            id=saved.id,
            name=saved.name,
            kind=saved.kind,
            mapping=MappingOut.from_mapping(Mapping.from_dict(saved.definition)),
            created_at=saved.created_at,
            updated_at=saved.updated_at,
        )


class PresetOut(BaseModel):
    """A built-in mapping, chosen automatically when a file has all ``signature`` headers."""

    name: str
    description: str
    signature: list[str]
    mapping: MappingOut

    @classmethod
    def from_preset(cls, preset: Preset) -> PresetOut:
        return cls(
            name=preset.name,
            description=preset.description,
            signature=list(preset.signature),
            mapping=MappingOut.from_mapping(preset.mapping),
        )


# --- runs ------------------------------------------------------------------------------


class ImportProblemOut(BaseModel):
    """One reason one row cannot be imported (row numbers as Excel shows them)."""

    row: int | None
    column: str
    value: str | None
    code: str
    message: str


class ImportCountsOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    skipped: int


class ImportProgressOut(BaseModel):
    stage: str
    done: int
    total: int | None


class ImportJobOut(BaseModel):
    """The queued job validating or writing the import."""

    id: uuid.UUID
    name: str
    status: JobStatus
    attempts: int
    error: str

    @classmethod
    def from_job(cls, job: Job) -> ImportJobOut:
        return cls(
            id=job.id, name=job.name, status=job.status, attempts=job.attempts, error=job.error
        )


class ImportRunSummaryOut(BaseModel):
    """An import as listed."""

    id: uuid.UUID
    kind: ImportKind
    status: ImportStatus
    filename: str
    file_format: str
    encoding: str | None
    skip_invalid: bool
    dry_run: bool
    created_by_id: uuid.UUID | None
    created_at: datetime
    validated_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    total_rows: int
    invalid_rows: int
    counts: ImportCountsOut
    error: str

    @classmethod
    def from_run(cls, run: ImportRun) -> ImportRunSummaryOut:
        return cls(**_summary_fields(run))


def _summary_fields(run: ImportRun) -> dict[str, Any]:
    names = set(ImportRunSummaryOut.model_fields) - {"counts"}
    fields = {name: getattr(run, name) for name in names}
    fields["counts"] = ImportCountsOut(
        created=run.created_count,
        updated=run.updated_count,
        unchanged=run.unchanged_count,
        skipped=run.skipped_count,
    )
    return fields


class ImportRunOut(ImportRunSummaryOut):
    """An import's status: its mapping, the file's headers, the first problems, progress."""

    headers: list[str]
    mapping: MappingOut
    unmapped_required: list[str]
    problems: list[ImportProblemOut]
    problems_truncated: bool
    progress: ImportProgressOut | None
    job: ImportJobOut | None

    @classmethod
    def build(
        cls,
        run: ImportRun,
        *,
        headers: list[str],
        progress: dict[str, Any] | None,
        job: Job | None,
    ) -> ImportRunOut:
        mapping = Mapping.from_dict(run.mapping)
        shown = run.problems[:SHOWN_PROBLEMS]
        return cls(
            **_summary_fields(run),
            headers=headers,
            mapping=MappingOut.from_mapping(mapping),
            unmapped_required=mapping.unmapped_required(),
            problems=[ImportProblemOut.model_validate(p) for p in shown],
            problems_truncated=run.problems_truncated or len(run.problems) > len(shown),
            progress=ImportProgressOut.model_validate(progress) if progress else None,
            job=ImportJobOut.from_job(job) if job is not None else None,
        )
