"""One BLAS thread wherever the engine runs (the worker thread, the CLI, the lab).

The engine's matrix products are small (the classifier's layers, a few
kilobytes each): OpenBLAS's extra threads add no speed there, only spin,
and with them one device can take a whole core. The limit is
process-wide, as OpenBLAS's own setting is; Home Assistant's other users of
numpy do the same kind of small products.
"""

from __future__ import annotations

import functools
import logging

_LOGGER = logging.getLogger(__name__)


@functools.cache
def limit_blas_threads() -> int:
    """Limit every loaded BLAS (numpy's and scipy's OpenBLAS) to one thread, once; how many were limited."""
    # scipy.signal loads scipy's own OpenBLAS: load it first so the limit reaches it too.
    import scipy.signal  # noqa: F401

    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        threadpool_limits(limits=1, user_api="blas")
        return sum(1 for lib in threadpool_info() if lib.get("user_api") == "blas")
    except (ImportError, OSError, ValueError, AttributeError) as err:  # no threadpoolctl (the lab's venv) or a
        # BLAS it cannot drive: run as it is
        _LOGGER.debug("cannot limit BLAS threads: %s", err)
        return 0
