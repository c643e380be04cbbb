"""The verbs: one module per command, each ``run(settings) -> exit code``.

A module's ``Settings`` is everything the verb needs, typed, with the defaults a user
gets; ``run`` does the work and returns 0, or 1 when the verb's answer is "no" (a gate
failed, a stage failed). A user's mistake raises an MlciError, which ``cli.main`` turns
into its one-line message and exit code. cli.py only builds Settings from click; the demo
builds them too, and runs the same verbs a user runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

DEFAULT_OUT = "mlci-report"

# Where a command writes what a person reads: ``echo(text)`` ends the line, ``echo(text, nl=False)``
# does not. click.echo fits; the default writes to standard output.
Echo = Callable[..., None]


def echo(text: str, nl: bool = True) -> None:
    """Standard output, flushed: CI logs show each line when it is written."""
    sys.stdout.write(text + ("\n" if nl else ""))
    sys.stdout.flush()
