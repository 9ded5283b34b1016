"""Shared test configuration."""
import matplotlib

matplotlib.use("Agg")


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _calibration_cache(tmp_path_factory):
    """Calibrations go to a session directory, never into the user's home cache."""
    mp = pytest.MonkeyPatch()
    mp.setenv("PYNN_BSS2_CACHE", str(tmp_path_factory.mktemp("calibration_cache")))
    yield
    mp.undo()
