"""The service's configuration: flags over environment over defaults, bad values refused."""

from __future__ import annotations

import pytest

from world2vec.memory.indexes import INDEX_KINDS
from world2vec.service.config import INDEX_KINDS as SERVICE_INDEX_KINDS
from world2vec.service.config import ConfigError, ServiceConfig, env_names


def test_config_precedence_flags_over_environment_over_defaults():
    env = {"WORLD2VEC_PORT": "9001", "WORLD2VEC_HOST": "0.0.0.0", "WORLD2VEC_API_KEY": "s3",
           "WORLD2VEC_MAX_BODY_MB": "8", "WORLD2VEC_ACCESS_LOG": "yes"}
    config = ServiceConfig.from_sources({"port": 7000, "host": None}, env)
    assert config.port == 7000 and config.host == "0.0.0.0" and config.api_key == "s3"
    assert config.max_body_bytes == 8 * 1024 * 1024 and config.access_log is True
    default = ServiceConfig.from_sources({}, {})
    assert (default.host, default.port, default.data, default.model) == \
        ("127.0.0.1", 8000, "world2vec-data", None)
    assert default.threads >= 2 and default.max_body_mb == 32 and default.api_key is None
    assert ServiceConfig.from_sources({}, {"WORLD2VEC_API_KEY": ""}).api_key is None
    assert "WORLD2VEC_API_KEY" in env_names() and "WORLD2VEC_WORKERS" in env_names()


@pytest.mark.parametrize("env", [{"WORLD2VEC_PORT": "x"}, {"WORLD2VEC_WORKERS": "0"},
                                 {"WORLD2VEC_MAX_K": "0"}, {"WORLD2VEC_LOG_LEVEL": "loud"},
                                 {"WORLD2VEC_MAX_BODY_MB": "nan"}, {"WORLD2VEC_INDEX": "btree"}])
def test_bad_config_values_raise_config_error(env):
    with pytest.raises(ConfigError):
        ServiceConfig.from_sources({}, env)


def test_the_service_knows_the_memory_index_kinds():
    assert SERVICE_INDEX_KINDS == INDEX_KINDS

