"""Migrations go down and up again cleanly (on a scratch SQLite file)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from kizuna.db.migrate import downgrade, upgrade


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    upgrade(url)
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(url)
    assert "account" in inspect(engine).get_table_names()
    engine.dispose()
