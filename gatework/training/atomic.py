"""Files written whole or not at all: a temporary file beside the target, then one rename.

A run can be killed at any instant (Ctrl-C, SIGKILL, a full disk, a machine going away). Every
file a run writes goes through :func:`atomic_write`, so a reader, or a run resumed later, sees
either the previous complete file or the new complete file, never half of one. The rename is
atomic because the temporary file sits in the same folder (same file system) as the target.

Lightning's own checkpoint writer stages the file in the system's temporary folder and then
*moves* it, which is a copy, not a rename, whenever that folder is on another file system; so
checkpoints go through :class:`AtomicCheckpointIO` as well.
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write a file through ``write(f)`` into a temporary file, then rename it over ``path``.

    Args:
        path: the file to (re)place; its folder is created when missing.
        write: called with a binary file object open for writing.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` for UTF-8 text."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def atomic_write_json(
    path: str | os.PathLike, data: Mapping[str, Any], default: Callable[[Any], Any] | None = None
) -> Path:
    """Indented JSON, keys sorted, so that equal data gives byte-identical files.

    Non-finite floats (NaN, inf) are written as ``null``: JSON has no spelling for them.
    ``default`` writes what JSON cannot (as :func:`json.dumps`' own).
    """

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, Mapping):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    text = json.dumps(clean(data), indent=2, sort_keys=True, default=default, allow_nan=False)
    return atomic_write_text(path, text + "\n")


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning checkpoint I/O that writes each checkpoint with :func:`atomic_write`.

    Pass it to the Trainer (``plugins=[AtomicCheckpointIO()]``); loading and removing are
    Lightning's own.
    """

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | os.PathLike, storage_options: Any = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"AtomicCheckpointIO takes no storage_options, got {storage_options}")
        atomic_write(path, lambda f: torch.save(checkpoint, f))
