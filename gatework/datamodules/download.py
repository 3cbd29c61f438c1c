"""Downloads into a local cache, verified by sha256, through pooch.

Files land in ``$GATEWORK_CACHE`` (default ``~/.cache/gatework``). pooch streams each download
into a temporary file beside the target, checks its sha256 and only then moves it into place, so
an interrupted or corrupt download never looks like a finished one; a cached file that no longer
matches its checksum is downloaded again. With a known checksum a mismatching download is an
error; without one the first download records its size and sha256 next to the file
(``<name>.sha256``) and every later use checks against that record.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pooch


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
    pooch.HTTPDownloader(timeout=60, progressbar=False)(url, str(dest), None)


def _downloader(url: str, output_file: str, _pooch: object) -> None:
    """pooch's downloader interface, over :func:`_urlretrieve`."""
    _urlretrieve(url, Path(output_file))


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
    record = directory / f"{name}.sha256"
    expected = sha256 or (record.read_text().split()[0] if record.is_file() else None)
    try:
        path = Path(
            pooch.retrieve(
                url,
                known_hash=None if expected is None else f"sha256:{expected}",
                fname=name,
                path=directory,
                downloader=_downloader,
            )
        )
    except ValueError as err:  # pooch: the download's hash is not the expected one
        raise ValueError(
            f"{url} downloaded with another sha256 than the expected {expected} ({err}): the "
            f"download is corrupt or the source changed (nothing was kept); {hint}"
        ) from err
    except Exception as err:  # requests and OSError raise many types; all mean the same here
        raise FileNotFoundError(f"could not download {url} ({err}); {hint}") from err
    if expected is None:
        record.write_text(f"{sha256sum(path)}  {path.stat().st_size} bytes  {url}\n")
    return path
