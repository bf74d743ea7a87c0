from __future__ import annotations

import functools
import importlib.util
import sys

import pytest

from plantwise.core.executors import (
    Executor,
    ProcessExecutor,
    RayExecutor,
    SerialExecutor,
    get_executor,
)

HAS_RAY = importlib.util.find_spec("ray") is not None

ITEMS = [7, 3, 0, 12, 5, 1, 9, 2]


def square_plus(x: int, offset: int = 0) -> int:
    """Top-level (picklable) task: deterministic and cheap."""
    return x * x + offset


EXPECTED = [x * x for x in ITEMS]


@pytest.fixture(scope="module")
def ray_executor():
    if not HAS_RAY:
        pytest.skip("ray is not installed")
    import ray
    from ray import cloudpickle

    # Ray workers cannot import this test module (tests/ is not on their sys.path), so ship
    # its functions by value; library functions in `plantwise` are importable and need nothing.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    started_here = not ray.is_initialized()
    ex = RayExecutor(num_cpus=2)
    yield ex
    ex.close()
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    if started_here:
        assert not ray.is_initialized()


def test_serial_preserves_order():
    with SerialExecutor() as ex:
        assert ex.map(square_plus, ITEMS) == EXPECTED
        assert ex.map(square_plus, []) == []


def test_process_preserves_order_and_is_reusable():
    with ProcessExecutor(workers=2) as ex:
        assert ex.map(square_plus, ITEMS) == EXPECTED
        assert ex.map(functools.partial(square_plus, offset=1), ITEMS) == [e + 1 for e in EXPECTED]
        assert ex.map(square_plus, []) == []
    assert ex._pool is None


def test_ray_matches_serial(ray_executor):
    assert ray_executor.map(square_plus, ITEMS) == EXPECTED
    assert ray_executor.map(functools.partial(square_plus, offset=1), ITEMS) == [e + 1 for e in EXPECTED]
    assert ray_executor.map(square_plus, []) == []


def test_ray_leaves_foreign_runtime_running(ray_executor):
    # Ray is already up (started by the fixture): a second executor must not own or stop it.
    import ray

    second = RayExecutor(num_cpus=2)
    assert second.map(square_plus, ITEMS[:3]) == EXPECTED[:3]
    second.close()
    assert ray.is_initialized()


def test_get_executor_names():
    ex = get_executor("serial")
    assert isinstance(ex, SerialExecutor)
    assert isinstance(ex, Executor)
    with get_executor("process", workers=1) as pex:
        assert isinstance(pex, ProcessExecutor)
        assert pex.workers == 1
        assert pex.map(square_plus, ITEMS[:2]) == EXPECTED[:2]
    with pytest.raises(ValueError, match="unknown executor"):
        get_executor("threads")
    with pytest.raises(ValueError):
        ProcessExecutor(workers=0)


def test_ray_missing_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(RuntimeError, match=r"pip install 'plantwise\[ray\]'"):
        RayExecutor()
    with pytest.raises(RuntimeError, match="Ray is not installed"):
        get_executor("ray", workers=2)
