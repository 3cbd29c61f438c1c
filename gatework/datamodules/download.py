"""Downloads into a local cache, verified by sha256.

Files land in ``$GATEWORK_CACHE`` (default ``~/.cache/gatework``), written to a temporary name and
renamed only once complete, so an interrupted download never looks like a finished one. With a
known checksum a mismatch is an error; without one the first download records its size and sha256
next to the file (``<name>.sha256``) and every later use checks against that record.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.request
from pathlib import Path


def cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``override``, else ``$GATEWORK_CACHE``, else ``~/.cache/gatework``."""
    if override is not None:
        return Path(override).expanduser()
    return Path(os.environ.get("GATEWORK_CACHE", "~/.cache/gatework")).expanduser()


def sha256sum(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _urlretrieve(url: str, dest: Path) -> None:
    """Fetch ``url`` into ``dest`` (the one place that touches the network)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def fetch(url: str, name: str, sha256: str | None, directory: Path, hint: str) -> Path:
    """Return the cached copy of ``url``, downloading and verifying it when needed.

    Args:
        url: where to download from.
        name: file name in the cache.
        sha256: expected checksum, or None to record the first download's and check against it.
        directory: the cache folder.
        hint: what the user can do instead (where to get the file, and ``data.path``).

    Returns:
        Path of the verified file.
    """
    path = directory / name
    record = directory / f"{name}.sha256"
    if not path.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        partial = directory / f"{name}.part"
        try:
            _urlretrieve(url, partial)
        except Exception as err:  # urllib raises several types; all mean the same to a user
            partial.unlink(missing_ok=True)
            raise FileNotFoundError(f"could not download {url} ({err}); {hint}") from err
        partial.replace(path)
    actual = sha256sum(path)
    expected = sha256 or (record.read_text().split()[0] if record.is_file() else None)
    if expected is None:
        record.write_text(f"{actual}  {path.stat().st_size} bytes  {url}\n")
    elif actual != expected:
        raise ValueError(
            f"{path} has sha256 {actual}, expected {expected}: the download is corrupt or the "
            f"source changed. Delete {path} to download it again, or {hint}"
        )
    return path
