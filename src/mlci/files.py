"""Files mlci writes: whole or not at all, and never through a link.

The content goes to a new temporary file beside the target (created exclusively, so a
symlink planted under a predictable name is never followed), is flushed to disk, and is
renamed over the target: a reader sees the old file or the new one, never half of one.
A target, or a folder holding it, that is a symbolic link is refused: a repository can
commit links, and mlci writes only where it was asked to.
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import suppress
from pathlib import Path


def write_atomically(path: str | Path, content: bytes | str) -> None:
    """Write ``content`` (text as UTF-8, with ``\\n`` line ends) to ``path``; OSError when it can't.

    A file that exists keeps its permission bits; a new one gets the umask's.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    for link in (path, path.parent):
        if link.is_symlink():
            raise OSError(errno.ELOOP, f"{link} is a symbolic link; mlci does not write through links")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and not path.is_symlink():
        mode = path.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
