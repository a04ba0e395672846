"""Column mapping: match a file's headers to target fields, read and write named mappings,
translate values.

* :func:`auto_map` proposes a mapping for a file's headers: a built-in preset when its
  signature headers are present (Salesforce, HubSpot, Stripe), then the header synonyms
  of :mod:`kizuna.importing.synonyms` (Japanese and English), each with a confidence.
* :func:`load_mapping` / :func:`dump_mapping` read and write the YAML form the user edits
  and the CLI takes (``kizuna import … --mapping file.yaml``).
* :func:`map_value` translates one cell: the mapping's own ``values`` first, then the
  built-in synonyms (決裁者 → decision_maker, はい → True, 年払い → 12, 円 → JPY), then
  Salesforce id normalisation for Salesforce presets. Unknown values come back unchanged
  for the engine to report.

The shape of a mapping and its dictionary form are documented in
:mod:`kizuna.importing.definition`.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

import yaml

from kizuna.importing.definition import MATCH_KEYS, Mapping, MappingOptions
from kizuna.importing.fields import TARGETS, TargetField, is_custom, target_field
from kizuna.importing.presets import PRESETS, detect_preset
from kizuna.importing.salesforce import normalise_salesforce_id
from kizuna.importing.synonyms import HEADER_SYNONYMS, NAME_PARTS, normalise_header
from kizuna.importing.value_synonyms import (
    bool_value,
    currency_code,
    enum_value,
    interval_months,
    value_key,
)
from kizuna.kit.errors import FieldProblem, Invalid
from kizuna.models.importing import ImportKind

__all__ = [
    "MATCH_KEYS",
    "Mapping",
    "MappingOptions",
    "auto_map",
    "dump_mapping",
    "load_mapping",
    "map_value",
    "normalise_header",
]

_BRACKETED = re.compile(r"[(\[【〔「『][^)\]】〕」』]*[)\]】〕」』]")
_MIN_SCORE = 0.6
_FAMILY_ALONE = 0.7  # a family-name column alone as the whole name: a guess to review


# --- automatic matching ------------------------------------------------------------------


@functools.cache
def _synonym_index(kind: ImportKind) -> dict[str, frozenset[str]]:
    """Normalised synonyms per target, each target's own name included."""
    index: dict[str, frozenset[str]] = {}
    table = HEADER_SYNONYMS[kind]
    for field in TARGETS[kind]:
        words = {normalise_header(field.name), *map(normalise_header, table.get(field.name, ()))}
        index[field.name] = frozenset(words)
    return index


def _is_key(field: TargetField) -> bool:
    """Identifiers and references match exactly (a near miss would link the wrong record)."""
    return field.name == "external_id" or field.type == "ref"


class _Header:
    """A header's comparable forms, computed once."""

    def __init__(self, header: str) -> None:
        self.norm = normalise_header(header)
        nfkc = unicodedata.normalize("NFKC", header)
        self.unbracketed = normalise_header(_BRACKETED.sub("", nfkc))
        self.last_part = normalise_header(re.split(r"[:：]", nfkc)[-1])


def _score(header: _Header, words: frozenset[str], fuzzy: bool) -> float:
    """Confidence that ``header`` means a target known by ``words`` (0 = not at all)."""
    norm = header.norm
    if not norm:
        return 0.0
    if norm in words:
        return 1.0
    if header.unbracketed in words or header.last_part in words:
        return 0.9
    if not fuzzy:
        return 0.0
    best = 0.0
    for word in words:
        minimum = 5 if word.isascii() else 2
        if len(word) < minimum:
            continue
        if norm.endswith(word):  # 担当者メールアドレス, Work Phone
            best = max(best, 0.6 + 0.3 * len(word) / len(norm))
        elif len(norm) >= 5:  # typos: Compnay Name
            matcher = difflib.SequenceMatcher(None, norm, word)
            if matcher.real_quick_ratio() >= 0.85 and matcher.quick_ratio() >= 0.85:
                ratio = matcher.ratio()
                if ratio >= 0.85:
                    best = max(best, 0.8 * ratio)
    return round(best, 2)


def _compose(
    kind: ImportKind, free: dict[str, int], best: dict[str, float]
) -> dict[str, tuple[list[str], float]]:
    """Targets built from a family-name and a given-name column (姓 + 名), when no single
    column matches better (``best``: the best score of a single column per target)."""
    found: dict[str, tuple[list[str], float]] = {}
    for target, (family_words, given_words) in NAME_PARTS.get(kind, {}).items():
        family = _find(free, family_words)
        given = _find(free, given_words)
        if family is not None and given is not None and best.get(target, 0.0) < 1.0:
            found[target] = ([family, given], 1.0)
        elif family is not None and best.get(target, 0.0) < _FAMILY_ALONE:
            found[target] = ([family], _FAMILY_ALONE)
        for header in found.get(target, ([], 0.0))[0]:
            free.pop(header)
    return found


def _find(free: dict[str, int], words: Sequence[str]) -> str | None:
    wanted = {normalise_header(w) for w in words}
    return next((h for h in free if normalise_header(h) in wanted), None)


def _apply_preset(
    preset: Mapping, headers: Sequence[str], free: dict[str, int]
) -> tuple[dict[str, str | list[str]], dict[str, float], str | None]:
    """The preset's columns whose headers the file has, spelled as the file spells them."""
    by_norm = {normalise_header(h): h for h in headers if isinstance(h, str)}
    columns: dict[str, str | list[str]] = {}
    confidence: dict[str, float] = {}
    for target in preset.columns:
        actual = [by_norm.get(normalise_header(h)) for h in preset.sources(target)]
        present = [h for h in actual if h is not None and h in free]
        if present and len(present) == len(actual):
            columns[target] = present[0] if len(present) == 1 else present
            confidence[target] = 1.0
            for header in present:
                free.pop(header)
    interval = preset.options.billing_period_months_from
    interval_header = by_norm.get(normalise_header(interval)) if interval else None
    return columns, confidence, interval_header


def auto_map(kind: ImportKind, headers: Sequence[str]) -> tuple[Mapping, dict[str, float]]:
    """Propose a mapping for ``headers`` and a confidence per mapped target.

    1.0 is an exact synonym (or a preset column), 0.9 a synonym with a bracketed qualifier
    or an object prefix (``会社名（正式名称）``, ``Account: Industry``), 0.6–0.9 a header
    ending in a synonym (``ご担当者メールアドレス``) or a close misspelling. Identifiers and
    references are never matched fuzzily. No header feeds two targets.
    """
    kind = ImportKind(kind)
    free = {h: i for i, h in enumerate(headers) if isinstance(h, str) and h.strip()}
    columns: dict[str, str | list[str]] = {}
    confidence: dict[str, float] = {}
    values: dict[str, dict[str, str]] = {}
    options = MappingOptions()
    preset_name = detect_preset(kind, headers)
    if preset_name is not None:
        preset = PRESETS[preset_name]
        columns, confidence, interval = _apply_preset(preset, headers, free)
        values = copy.deepcopy(preset.values)
        options = preset.options
        if preset.options.billing_period_months_from is not None:
            options = replace(options, billing_period_months_from=interval)
    _match_synonyms(kind, free, columns, confidence)
    for header in list(free):  # a Kizuna export names its custom fields custom.<key>
        if is_custom(header.strip()) and target_field(kind, header.strip()) is not None:
            columns[header.strip()] = header
            confidence[header.strip()] = 1.0
    mapping = Mapping(kind=kind, columns=columns, values=values, options=options)
    return mapping, confidence


def _match_synonyms(
    kind: ImportKind,
    free: dict[str, int],
    columns: dict[str, str | list[str]],
    confidence: dict[str, float],
) -> None:
    """Greedy best-first assignment of the free headers to the unmapped targets."""
    index = _synonym_index(kind)
    order = {f.name: i for i, f in enumerate(TARGETS[kind])}
    candidates: list[tuple[float, int, int, str, str]] = []
    forms = {header: _Header(header) for header in free}
    for field in TARGETS[kind]:
        if field.name in columns:
            continue
        for header, position in free.items():
            score = _score(forms[header], index[field.name], fuzzy=not _is_key(field))
            if score >= _MIN_SCORE:
                candidates.append((-score, order[field.name], position, field.name, header))
    best = dict.fromkeys(columns, 1.0)
    for negative, _order, _position, target, _header in candidates:
        best[target] = max(best.get(target, 0.0), -negative)
    composed = _compose(kind, dict(free), best)
    for target, (parts, score) in composed.items():
        columns[target] = parts[0] if len(parts) == 1 else parts
        confidence[target] = score
        for header in parts:
            free.pop(header)
    for negative, _order, _position, target, header in sorted(candidates):
        if target in columns or header not in free:
            continue
        columns[target] = header
        confidence[target] = -negative
        free.pop(header)
    ordered = sorted(columns, key=lambda t: order.get(t, len(order)))
    columns_sorted = {t: columns[t] for t in ordered}
    columns.clear()
    columns.update(columns_sorted)


# --- YAML ------------------------------------------------------------------------------


def load_mapping(text: str) -> Mapping:
    """A mapping from its YAML text; :class:`Invalid` names every bad key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise Invalid(FieldProblem(("mapping",), "invalid_yaml", str(exc))) from None
    return Mapping.from_dict(data)


class _Dumper(yaml.SafeDumper):
    """Lists (composed headers) in flow style: ``name: [姓, 名]``."""


def _flow_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(list, _flow_list)


def dump_mapping(mapping: Mapping) -> str:
    """YAML text, Japanese kept readable, keys in a stable order (targets in field order)."""
    data = mapping.to_dict()
    order = {f.name: i for i, f in enumerate(TARGETS[mapping.kind])}

    def by_target(item: tuple[str, Any]) -> tuple[int, str]:
        return (order.get(item[0], len(order)), item[0])

    data["columns"] = dict(sorted(data["columns"].items(), key=by_target))
    data["values"] = dict(sorted(data["values"].items(), key=by_target))
    if data["name"] is None:
        del data["name"]
    header = f"# Kizuna import mapping ({mapping.kind.value})\n"
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + body


# --- values ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _value_index(items: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return {value_key(source): result for source, result in items}


def _as_text(raw: object) -> str | None:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float | Decimal):
        return str(raw)
    return None


def map_value(mapping: Mapping, target: str, raw: object) -> object:
    """``raw`` translated for ``target``, or ``raw`` itself when nothing matches.

    Order: the mapping's ``values[target]`` (compared after NFKC + case-fold + strip), then
    the built-in synonyms of the target's enum, booleans (→ ``bool``), billing intervals
    for ``billing_period_months`` (→ ``int``) and currencies (→ ISO code); for a mapping
    from a Salesforce preset, ids in ``external_id`` and references become 18-character.
    For a ``list`` target (``roles``) pass one item at a time: split on the mapping's
    ``list_separator`` first.
    """
    text = _as_text(raw)
    if text is None:
        return raw
    result: object = raw
    table = mapping.values.get(target)
    if table:
        hit = _value_index(tuple(table.items())).get(value_key(text))
        if hit is not None:
            result, text = hit, hit
    field = target_field(mapping.kind, target)
    if field is None:
        return result
    builtin = _builtin(field, text)
    if builtin is not None:
        return builtin
    if isinstance(result, str) and _salesforce_key(mapping, field):
        return normalise_salesforce_id(result)
    return result


def _builtin(field: TargetField, text: str) -> object | None:
    if field.enum is not None:
        return enum_value(field.enum, text)
    if field.type == "bool":
        return bool_value(text)
    if field.name == "billing_period_months":
        return interval_months(text)
    if field.name == "currency":
        return currency_code(text)
    return None


def _salesforce_key(mapping: Mapping, field: TargetField) -> bool:
    preset = mapping.options.preset or ""
    is_key = field.name == "external_id" or (field.type == "ref" and field.ref != "user")
    return is_key and preset.startswith("salesforce-")
