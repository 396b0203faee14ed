"""The continued-training tests build the service tests' fixture model (known geometry,
about sixty words) as their base; its builder lives in tests/service."""

from __future__ import annotations

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "service"))

from service_model_fixture import build_model  # noqa: E402


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> str:
    return build_model(str(tmp_path_factory.mktemp("base") / "fixture"))
