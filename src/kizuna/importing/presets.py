"""Built-in mappings for the exports customers bring most: Salesforce (Data Loader and
Japanese-locale reports), HubSpot and Stripe.

Each preset is a YAML file in ``presets/`` with the mapping keys of
:mod:`kizuna.importing.definition` plus ``description`` and ``signature``: the headers
whose presence (compared like every header, ignoring case, width and spacing) identifies
the export. Its ``options.preset`` is set to its name, which turns on Salesforce id
normalisation for the Salesforce presets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources

import yaml

from kizuna.importing.definition import Mapping
from kizuna.importing.synonyms import normalise_header
from kizuna.models.importing import ImportKind

_EXTRA_KEYS = ("description", "signature")


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    signature: tuple[str, ...]
    mapping: Mapping


def _load(name: str, text: str) -> Preset:
    data = yaml.safe_load(text)
    description = str(data.pop("description", ""))
    signature = tuple(str(h) for h in data.pop("signature", ()))
    mapping = Mapping.from_dict(data, loc=("preset", name))
    if not signature:
        raise ValueError(f"preset {name} has no signature headers")
    mapping.options = replace(mapping.options, preset=name)
    mapping.name = name
    return Preset(name, description.strip(), signature, mapping)


def _load_all() -> dict[str, Preset]:
    folder = resources.files("kizuna.importing").joinpath("presets")
    found: dict[str, Preset] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            name = entry.name.removesuffix(".yaml")
            found[name] = _load(name, entry.read_text(encoding="utf-8"))
    return found


_PRESETS = _load_all()
PRESETS: dict[str, Mapping] = {name: preset.mapping for name, preset in _PRESETS.items()}


def list_presets(kind: ImportKind | None = None) -> list[Preset]:
    """The presets (for ``kind``, or all), by name."""
    return [p for p in _PRESETS.values() if kind is None or p.mapping.kind == kind]


def get_preset(name: str) -> Preset:
    """One preset with its description and signature; KeyError when there is none."""
    return _PRESETS[name]


def detect_preset(kind: ImportKind, headers: Sequence[str]) -> str | None:
    """The preset of ``kind`` whose signature headers are all in ``headers``, or None.

    When several match, the longest signature wins, then the one with more of its columns
    present.
    """
    present = {normalise_header(h) for h in headers if isinstance(h, str)}
    best: tuple[int, int, str] | None = None
    for preset in list_presets(kind):
        if all(normalise_header(h) in present for h in preset.signature):
            covered = sum(
                all(normalise_header(h) in present for h in preset.mapping.sources(t))
                for t in preset.mapping.columns
            )
            rank = (len(preset.signature), covered, preset.name)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None
