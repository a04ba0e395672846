"""Write a benchmark's results into its own section of docs/benchmarks.md.

Each benchmark owns one ``## `` section. Only the text between its two markers is
regenerated, so hand-written analysis elsewhere in the section survives a re-run.
"""

from __future__ import annotations

from pathlib import Path

from benchkit.engines import REPO

DOCS = REPO / "docs" / "benchmarks.md"
PREAMBLE = """# Benchmarks

Hand-run benchmarks (not part of CI). Each `## ` section belongs to one script in `bench/`
(see `bench/README.md`); re-running the script regenerates the block between its
`<!-- results:… -->` markers and leaves the rest of the section alone. New benchmarks add
their own section at the end.
"""


def markers(key: str) -> tuple[str, str]:
    return f"<!-- results:{key}:start -->", f"<!-- results:{key}:end -->"


def update_section(title: str, key: str, body: str, path: Path = DOCS) -> None:
    """Put ``body`` between the markers of section ``## title``, creating what is missing."""
    text = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
    start, end = markers(key)
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + f"\n\n## {title}\n\n{block}\n"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
