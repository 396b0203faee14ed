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



def test_the_key_can_come_from_a_file_without_its_trailing_newline(tmp_path):
    key_file = tmp_path / "api_key"
    key_file.write_text("s3cret-from-file\n")
    read_file = tmp_path / "read_key"
    read_file.write_text("  reader\r\n")
    config = ServiceConfig.from_sources({}, {"WORLD2VEC_API_KEY_FILE": str(key_file),
                                             "WORLD2VEC_READ_KEY_FILE": str(read_file)})
    assert config.api_key == "s3cret-from-file" and config.read_key == "reader"
    # Built in Python, the file is read too: a key file never leaves the server keyless.
    assert ServiceConfig(api_key_file=str(key_file)).validate().api_key == "s3cret-from-file"
    assert {"WORLD2VEC_API_KEY_FILE", "WORLD2VEC_READ_KEY", "WORLD2VEC_CORS_ORIGINS"} \
        <= set(env_names())


@pytest.mark.parametrize("content, message", [
    (None, "cannot read"), ("", "is empty"), ("\n  \n", "is empty"),
    (b"\xff\xfe", "not UTF-8"), ("x" * 5000, "larger than"),
])
def test_an_unusable_key_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "key"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as err:
        ServiceConfig.from_sources({}, {"WORLD2VEC_API_KEY_FILE": str(path)})
    assert "WORLD2VEC_API_KEY_FILE" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("env, message", [
    ({"WORLD2VEC_API_KEY": "a", "WORLD2VEC_API_KEY_FILE": "FILE"}, "not both"),
    ({"WORLD2VEC_API_KEY": "a", "WORLD2VEC_READ_KEY": "b", "WORLD2VEC_READ_KEY_FILE": "FILE"},
     "not both"),
    ({"WORLD2VEC_READ_KEY": "b"}, "needs WORLD2VEC_API_KEY"),
    ({"WORLD2VEC_API_KEY": "same", "WORLD2VEC_READ_KEY": "same"}, "must differ"),
    ({"WORLD2VEC_CORS_ORIGINS": "https://ok.example, example.com"}, "'example.com' is not"),
    ({"WORLD2VEC_CORS_ORIGINS": "https://ok.example/path"}, "is not an origin"),
    ({"WORLD2VEC_CORS_ORIGINS": "null"}, "is not an origin"),
])
def test_conflicting_or_bad_access_settings_are_refused(tmp_path, env, message):
    key_file = tmp_path / "key"
    key_file.write_text("from-file\n")
    env = {name: str(key_file) if value == "FILE" else value for name, value in env.items()}
    with pytest.raises(ConfigError, match=message):
        ServiceConfig.from_sources({}, env)


def test_cors_origins_are_read_as_browsers_spell_them():
    config = ServiceConfig.from_sources({}, {
        "WORLD2VEC_CORS_ORIGINS": " https://App.Example.com/ ,http://localhost:3000,,"})
    assert config.cors_origins == ("https://app.example.com", "http://localhost:3000")
    assert ServiceConfig.from_sources({}, {}).cors_origins == ()
    assert ServiceConfig.from_sources({}, {"WORLD2VEC_CORS_ORIGINS": "*"}).cors_origins == ("*",)
