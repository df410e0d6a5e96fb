"""The data folder: where it is by default, and that it is its user's only.

Apart from `pa_client.settings` (pydantic, a tenth of a second to import) so that `pa --help` can
name the default folder and `pa` set its umask without loading the settings' model.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APP_NAME", "PRIVATE_UMASK", "default_data_dir", "make_private"]

APP_NAME = "pa-ledger"

PRIVATE_UMASK = 0o077
"""What `pa` creates is its user's only: folders 0700, files 0600 (the keystores' rule)."""


def default_data_dir() -> Path:
    """`$XDG_DATA_HOME/pa-ledger`, else `~/.local/share/pa-ledger`."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec says relative paths in these variables are invalid and must be ignored.
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / APP_NAME
    return Path.home() / ".local" / "share" / APP_NAME


def make_private(folder: Path) -> Path:
    """Creates `folder` (and its parents) readable by its owner only, or takes the group's and others'
    access away from an existing one: the data folder holds the sessions, tokens and webhook secrets
    of `pa serve`, the journal and the audit index, which are its user's."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = folder.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        folder.chmod(0o700)
    return folder
