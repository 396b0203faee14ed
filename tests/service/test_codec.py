"""The wire codec on its own: vectors as float32 bins in msgpack, as lists in JSON."""

from __future__ import annotations

import msgpack
import numpy as np

from world2vec.service.codec import encode


def test_vectors_travel_as_float32_bins_in_msgpack_and_lists_in_json():
    vectors = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    resp = encode({"vectors": vectors, "one": vectors[0], "dim": 3}, msgpack_out=True)
    body = msgpack.unpackb(resp.get_data(), raw=False)
    assert [np.frombuffer(v, "<f4").tolist() for v in body["vectors"]] == vectors.tolist()
    assert np.frombuffer(body["one"], "<f4").tolist() == vectors[0].tolist()
    resp = encode({"vectors": vectors}, msgpack_out=False)
    assert np.allclose(resp.get_json()["vectors"], vectors)


def test_numpy_scalars_and_tuples_encode_as_plain_numbers_and_lists():
    obj = {"n": np.int64(3), "x": np.float32(0.5), "ok": np.bool_(True), "pair": (1, 2.5)}
    for msgpack_out in (True, False):
        resp = encode(obj, msgpack_out=msgpack_out)
        body = (msgpack.unpackb(resp.get_data(), raw=False) if msgpack_out
                else resp.get_json())
        assert body == {"n": 3, "x": 0.5, "ok": True, "pair": [1, 2.5]}
