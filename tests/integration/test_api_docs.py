"""/api/docs explains itself: the schema builds and every operation has a summary."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_operation_is_summarised(app_client: TestClient) -> None:
    spec = app_client.get("/api/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        if path.startswith("/api/")
        for method, op in ops.items()
        if not op.get("summary")
    ]
    assert operations == []
    token_schema = spec["components"]["schemas"]["TokenOut"]["properties"]
    assert "token_hash" not in token_schema
    assert "password_hash" not in spec["components"]["schemas"]["UserOut"]["properties"]
