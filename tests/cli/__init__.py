"""Tests of the command line, run in-process through ``mlci.cli.main``."""

from __future__ import annotations

import pytest

from mlci.cli import main


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err
