"""The service's pieces on their own: expression parser, configuration, codec, metrics."""

from __future__ import annotations

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from world2vec.memory.indexes import INDEX_KINDS
from world2vec.service.codec import encode
from world2vec.service.config import INDEX_KINDS as SERVICE_INDEX_KINDS
from world2vec.service.config import ConfigError, ServiceConfig, env_names
from world2vec.service.expr import ExprError, parse_expression
from world2vec.service.metrics import Metrics


@pytest.mark.parametrize("text,terms", [
    ("king - man + woman", {"king": 1.0, "man": -1.0, "woman": 1.0}),
    ("0.5*paris", {"paris": 0.5}),
    ("paris*0.5 + rome/4", {"paris": 0.5, "rome": 0.25}),
    ("-(a - b)", {"a": -1.0, "b": 1.0}),
    ("2*(a + 0.5*(b - c))", {"a": 2.0, "b": 1.0, "c": -1.0}),
    ("a + a", {"a": 2.0}),
    ('"t-shirt" - "new  york"', {"t-shirt": 1.0, "new york": -1.0}),
    ("1e-1*x", {"x": 0.1}),
    ("t-shirt", {"t": 1.0, "shirt": -1.0}),
])
def test_expressions_parse_to_weighted_terms(text, terms):
    assert parse_expression(text) == pytest.approx(terms)


@pytest.mark.parametrize("text,position", [
    ("king * queen", 5), ("king + 2", 5), ("(a - b", 6), ("a - b)", 5), ("a b", 2),
    ("", 0), ("3", 0), ("a - a", 0), ('"open', 0), ("a / 0", 2), ("a / b", 2),
    ("a +", 3), ("*a", 0),
])
def test_malformed_expressions_say_where(text, position):
    with pytest.raises(ExprError) as info:
        parse_expression(text)
    assert info.value.position == position


def test_deep_nesting_and_long_expressions_are_refused_not_crashed():
    with pytest.raises(ExprError):
        parse_expression("(" * 200 + "a" + ")" * 200)
    with pytest.raises(ExprError):
        parse_expression("-" * 500 + "a")
    with pytest.raises(ExprError):
        parse_expression(" + ".join(f"w{i}" for i in range(101)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab12.+-*/() \"e", max_size=40))
def test_the_parser_only_ever_returns_terms_or_raises_expr_error(text):
    try:
        terms = parse_expression(text)
    except ExprError:
        return
    assert terms and all(isinstance(k, str) and isinstance(v, float) for k, v in terms.items())


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


def test_vectors_travel_as_float32_bins_in_msgpack_and_lists_in_json():
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    resp = encode({"vectors": vectors, "one": vectors[0], "dim": 3}, msgpack_out=True)
    body = msgpack.unpackb(resp.get_data(), raw=False)
    assert [np.frombuffer(v, "<f4").tolist() for v in body["vectors"]] == vectors.tolist()
    assert np.frombuffer(body["one"], "<f4").tolist() == vectors[0].tolist()
    resp = encode({"vectors": vectors}, msgpack_out=False)
    assert np.allclose(resp.get_json()["vectors"], vectors)


def test_metrics_render_prometheus_histograms():
    m = Metrics(buckets=(0.01, 0.1))
    m.observe("GET", "/similar", 200, 0.005)
    m.observe("GET", "/similar", 200, 0.05)
    m.observe("GET", "/similar", 400, 5.0)
    text = m.render(lambda: [("world2vec_items", "Items.", {}, 3.0)])
    assert 'world2vec_requests_total{method="GET",route="/similar",status="200"} 2' in text
    assert 'world2vec_request_duration_seconds_bucket{method="GET",route="/similar",le="0.01"} 1' \
        in text
    assert 'le="0.1"} 2' in text and 'le="+Inf"} 3' in text
    assert 'world2vec_request_duration_seconds_count{method="GET",route="/similar"} 3' in text
    assert "world2vec_items 3" in text


def test_the_service_knows_the_memory_index_kinds():
    assert SERVICE_INDEX_KINDS == INDEX_KINDS
