"""BLAS runs on one thread wherever the engine runs: the worker, the CLI and the lab."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _blas_threads_after(code: str) -> list[int]:
    """Each BLAS library's thread count after `code` ran in a fresh interpreter (the limit is process-wide)."""
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        from threadpoolctl import threadpool_info
        print([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"])
        """
    )
    env = {"OPENBLAS_NUM_THREADS": "", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return [int(n) for n in out.stdout.strip().splitlines()[-1].strip("[]").split(",") if n.strip()]


def test_without_the_limit_openblas_takes_more_threads() -> None:
    """The premise: on a machine with several cores OpenBLAS starts one thread per core."""
    threads = _blas_threads_after("import numpy, scipy.signal")
    assert threads
    assert max(threads) > 1 or os.cpu_count() == 1


def test_the_worker_limits_blas_to_one_thread() -> None:
    threads = _blas_threads_after(
        """
        from custom_components.uspd.engine.sources import SourceConfig
        from custom_components.uspd.engine.detector import DetectorConfig
        from custom_components.uspd.engine.worker import EngineWorker
        from custom_components.uspd.sim.source import open_source
        worker = EngineWorker(SourceConfig(scenario="empty_room", baseband=True), DetectorConfig(),
                              lambda s: None, lambda e: None, speed=50.0, opener=open_source)
        worker.start()
        worker.stop()
        """
    )
    assert threads
    assert set(threads) == {1}, threads


def test_the_cli_limits_blas_to_one_thread(tmp_path: Path) -> None:
    threads = _blas_threads_after(
        """
        import contextlib, io
        from custom_components.uspd.engine import cli
        with contextlib.suppress(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            cli.main(["detect", "/nonexistent.wav"])
        """
    )
    assert threads
    assert set(threads) == {1}, threads
