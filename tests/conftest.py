import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


#: Suites that start processes, servers or Node: most of the run time. ``-m "not slow"`` leaves them out locally.
SLOW_SUITES = ("interop", "examples", "faults", "redis")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(f"tests/{suite}/" in item.path.as_posix() for suite in SLOW_SUITES):
            item.add_marker(pytest.mark.slow)
