"""Local data files: where they live, how they are checked, how they are fetched.

Every loader goes through this module, so a user with internet, a user offline with
local copies, and CI all run the same code:

1. The *data directory* is, in order: the explicit argument (``--data-dir``), the
   environment variable ``TUNEBENCH_DATA``, the legacy ``TUNEBENCH_DATA_DIR``, or the
   per-user cache directory (:func:`cache_dir`).
2. A file is looked up in the data directory, then in the cache directory.
3. Only when it is in neither is it downloaded (into the cache directory, written to a
   temporary name, checked, then renamed into place). Without network the error is one
   line naming the file, its sha256 and the directory to put it in.

Checks of present files are memoised per process, keyed by path, size and
modification time, so a 70,000-image content check is done once, not once per run.
"""

from __future__ import annotations

import hashlib
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunebench.errors import TunebenchError, one_line

__all__ = [
    "ENV_CACHE",
    "ENV_DATA",
    "ENV_DATA_LEGACY",
    "ENV_OFFLINE",
    "DatasetError",
    "RemoteFile",
    "cache_dir",
    "download",
    "find_file",
    "locate",
    "md5_bytes",
    "missing_message",
    "recall",
    "remember",
    "resolve_data_dir",
    "search_dirs",
    "sha256_bytes",
    "sha256_file",
    "verified",
]

ENV_DATA = "TUNEBENCH_DATA"
"""Environment variable naming the data directory."""
ENV_DATA_LEGACY = "TUNEBENCH_DATA_DIR"
"""Older name of :data:`ENV_DATA`, still honoured (after it)."""
ENV_CACHE = "TUNEBENCH_CACHE"
"""Environment variable overriding the cache directory (downloads, generated data)."""
ENV_OFFLINE = "TUNEBENCH_OFFLINE"
"""Set to ``1`` to never try a download (a missing file is then an error at once)."""

_CHUNK = 1 << 20


class DatasetError(TunebenchError, RuntimeError):
    """A data file is missing, corrupt, or cannot be read.

    The message is one line: what is wrong, which file, and what to do.
    """


@dataclass(frozen=True)
class RemoteFile:
    """A data file the suite knows how to find, check and (maybe) download.

    Attributes:
        name: File name on disk (in the data or cache directory).
        sha256: sha256 of the file as published (what a download must match).
        url: Where to download it from; ``None`` if it cannot be downloaded.
        size: Size in bytes as published, if known.
        note: Extra advice for the "missing" error (e.g. another accepted copy).
    """

    name: str
    sha256: str
    url: str | None = None
    size: int | None = None
    note: str = ""


def cache_dir() -> Path:
    """The per-user cache directory for downloads and generated data.

    ``TUNEBENCH_CACHE`` if set, else ``$XDG_CACHE_HOME/tunebench``, else
    ``~/.cache/tunebench``. It is not created here.
    """
    explicit = os.environ.get(ENV_CACHE)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tunebench"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: argument > ``TUNEBENCH_DATA`` > ``TUNEBENCH_DATA_DIR`` > cache."""
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser()
    for var in (ENV_DATA, ENV_DATA_LEGACY):
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser()
    return cache_dir()


def search_dirs(
    data_dir: str | os.PathLike[str] | None = None, extra: Iterable[Path] = ()
) -> tuple[Path, ...]:
    """Folders searched for a data file: the data directory, the cache, then ``extra``."""
    dirs: list[Path] = []
    for d in (resolve_data_dir(data_dir), cache_dir(), *extra):
        if d not in dirs:
            dirs.append(d)
    return tuple(dirs)


def find_file(
    names: str | Sequence[str],
    data_dir: str | os.PathLike[str] | None = None,
    extra: Iterable[Path] = (),
) -> Path | None:
    """The first existing file among ``names`` in :func:`search_dirs` (folder order first)."""
    if isinstance(names, str):
        names = (names,)
    for d in search_dirs(data_dir, extra):
        for name in names:
            path = d / name
            if path.is_file():
                return path
    return None


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(*parts: bytes | memoryview) -> str:
    """Hex sha256 of the concatenation of ``parts``."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def md5_bytes(*parts: bytes | memoryview) -> str:
    """Hex md5 of the concatenation of ``parts`` (the figure MNIST is published with)."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def missing_message(remote: RemoteFile, data_dir: Path, reason: str) -> str:
    """The one-line error for a file that is neither present nor downloadable."""
    note = f"; {remote.note}" if remote.note else ""
    return (
        f"data file {remote.name} is missing and {reason}; put a copy "
        f"(sha256 {remote.sha256}) in {data_dir} "
        f"(or point --data-dir / {ENV_DATA} at a folder holding it){note}"
    )


def download(
    remote: RemoteFile, dest_dir: Path, *, timeout: float = 60.0, put_in: Path | None = None
) -> Path:
    """Download ``remote`` into ``dest_dir``, check its sha256, and rename it into place.

    The bytes go to a temporary file in ``dest_dir`` first, so an interrupted or
    corrupt download never leaves a file under the final name.

    Args:
        remote: What to fetch (``remote.url`` must be set).
        dest_dir: Target folder (created if needed).
        timeout: Seconds to wait on the network before giving up.
        put_in: The folder an error message tells the user to put the file in
            (default: the data directory).

    Returns:
        The path of the downloaded file.

    Raises:
        DatasetError: No URL, the network failed, or the bytes do not match.
    """
    data_dir = put_in if put_in is not None else resolve_data_dir()
    if remote.url is None:
        raise DatasetError(missing_message(remote, data_dir, "it cannot be downloaded"))
    if os.environ.get(ENV_OFFLINE, "") not in ("", "0"):
        raise DatasetError(missing_message(remote, data_dir, f"{ENV_OFFLINE} is set"))
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(
            missing_message(remote, data_dir, f"cache folder {dest_dir} is not writable ({exc})")
        ) from exc
    final = dest_dir / remote.name
    tmp = dest_dir / f".{remote.name}.{os.getpid()}.{threading.get_ident()}.part"
    digest = hashlib.sha256()
    try:
        with (
            urllib.request.urlopen(remote.url, timeout=timeout) as response,
            open(tmp, "wb") as out,
        ):
            for block in iter(lambda: response.read(_CHUNK), b""):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise DatasetError(
            missing_message(
                remote, data_dir, f"downloading {remote.url} failed ({one_line(str(reason))})"
            )
        ) from exc
    got = digest.hexdigest()
    if got != remote.sha256:
        tmp.unlink(missing_ok=True)
        raise DatasetError(
            f"download of {remote.name} from {remote.url} has sha256 {got}, expected "
            f"{remote.sha256}; nothing was kept; put a verified copy in {data_dir}"
        )
    os.replace(tmp, final)
    return final


def locate(
    remote: RemoteFile,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    alternatives: Sequence[str] = (),
    extra: Iterable[Path] = (),
    allow_download: bool = True,
) -> Path:
    """Find a data file locally, or download it into the cache directory.

    Args:
        remote: The file (its name is searched first, then ``alternatives``).
        data_dir: The data directory argument (see :func:`resolve_data_dir`).
        alternatives: Other accepted file names (e.g. an uncompressed copy).
        extra: More folders to search after the data and cache directories.
        allow_download: Whether a missing file may be downloaded.

    Raises:
        DatasetError: Not found and not downloadable (one line: file, sha256, folder).
    """
    found = find_file((remote.name, *alternatives), data_dir, extra)
    if found is not None:
        return found
    target = resolve_data_dir(data_dir)
    if not allow_download or remote.url is None:
        where = ", ".join(str(d) for d in search_dirs(data_dir, extra))
        raise DatasetError(
            missing_message(remote, target, f"it is not in {where} (and is not downloaded)")
        )
    return download(remote, cache_dir(), put_in=target)


_VERIFIED: dict[tuple[str, int, int, str], dict[str, Any]] = {}
_VERIFIED_LOCK = threading.Lock()


def _key(path: Path, kind: str) -> tuple[str, int, int, str]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, kind)


def recall(path: Path, kind: str) -> dict[str, Any] | None:
    """Facts remembered for this exact file (same size and mtime), or ``None``."""
    try:
        key = _key(path, kind)
    except OSError:
        return None
    with _VERIFIED_LOCK:
        facts = _VERIFIED.get(key)
    return None if facts is None else dict(facts)


def remember(path: Path, kind: str, facts: dict[str, Any]) -> None:
    """Record that ``path`` passed the ``kind`` check, with its facts (checksums)."""
    key = _key(path, kind)
    with _VERIFIED_LOCK:
        _VERIFIED[key] = dict(facts)


def verified(path: Path, kind: str, check: Callable[[Path], dict[str, Any]]) -> dict[str, Any]:
    """Run ``check(path)`` once per (path, size, mtime, kind) in this process.

    ``check`` returns facts about a good file (its checksums) or raises
    :class:`DatasetError`; only successes are remembered, so a corrupt file is
    re-examined (and refused) every time.
    """
    facts = recall(path, kind)
    if facts is None:
        facts = check(path)
        remember(path, kind, facts)
    return dict(facts)
