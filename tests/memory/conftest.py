import pytest
from mem_helpers import DIM

from world2vec.memory import MemoryStore


@pytest.fixture
def store(tmp_path):
    s = MemoryStore.open(str(tmp_path / "data"), DIM, index="flat", background=False)
    yield s
    s.close()
