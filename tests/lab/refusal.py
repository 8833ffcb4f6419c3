"""What a lab command says when it refuses its arguments."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest


def refusal(
    main: Callable[[], None], argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run main with argv as its command line; it must exit as argparse refuses (status 2); its stderr is returned."""
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    return capsys.readouterr().err
