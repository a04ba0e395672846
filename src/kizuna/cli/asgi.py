"""The ASGI factory for uvicorn: ``uvicorn --factory kizuna.cli.asgi:build``."""

from __future__ import annotations

from fastapi import FastAPI

from kizuna.app import create_app
from kizuna.config import Settings


def build() -> FastAPI:
    return create_app(Settings())
