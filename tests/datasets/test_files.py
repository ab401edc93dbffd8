from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tunebench.datasets import files
from tunebench.datasets.files import DatasetError, RemoteFile


def test_data_dir_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("TUNEBENCH_DATA", raising=False)
    monkeypatch.delenv("TUNEBENCH_DATA_DIR", raising=False)
    assert files.resolve_data_dir() == tmp_path / "cache"
    monkeypatch.setenv("TUNEBENCH_DATA_DIR", str(tmp_path / "legacy"))
    assert files.resolve_data_dir() == tmp_path / "legacy"
    monkeypatch.setenv("TUNEBENCH_DATA", str(tmp_path / "new"))
    assert files.resolve_data_dir() == tmp_path / "new"
    assert files.resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert files.search_dirs(tmp_path / "explicit") == (tmp_path / "explicit", tmp_path / "cache")


def test_cache_dir_default_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUNEBENCH_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert files.cache_dir() == tmp_path / "tunebench"


def test_find_file_prefers_data_dir_then_cache(isolated: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "a.bin").write_bytes(b"cache")
    assert files.find_file("a.bin", isolated) == cache / "a.bin"
    (isolated / "a.bin").write_bytes(b"data")
    assert files.find_file("a.bin", isolated) == isolated / "a.bin"
    assert files.find_file("nope.bin", isolated) is None


def test_missing_file_without_network_is_one_line_with_name_sha_and_folder(
    isolated: Path,
) -> None:
    remote = RemoteFile("thing.bin", "ab" * 32, url="http://127.0.0.1:9/thing.bin")
    with pytest.raises(DatasetError) as info:
        files.locate(remote, isolated)
    message = str(info.value)
    assert "\n" not in message
    assert "thing.bin" in message and "ab" * 32 in message and str(isolated) in message
    assert "127.0.0.1:9" in message
    assert not any((isolated.parent / "cache").glob("*thing*"))  # no partial file left


def test_offline_switch_skips_the_network(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUNEBENCH_OFFLINE", "1")
    remote = RemoteFile("thing.bin", "cd" * 32, url="http://127.0.0.1:9/thing.bin")
    with pytest.raises(DatasetError, match="TUNEBENCH_OFFLINE is set"):
        files.locate(remote, isolated)


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real local HTTP server serving tmp_path/www."""
    www = tmp_path / "www"
    www.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", www
    server.shutdown()
    server.server_close()


def test_download_checks_sha256_and_renames_into_the_cache(
    isolated: Path, tmp_path: Path, http_folder: tuple[str, Path]
) -> None:
    url, www = http_folder
    payload = b"real bytes " * 1000
    (www / "f.bin").write_bytes(payload)
    good = RemoteFile("f.bin", hashlib.sha256(payload).hexdigest(), url=f"{url}/f.bin")
    path = files.locate(good, isolated)
    assert path == tmp_path / "cache" / "f.bin" and path.read_bytes() == payload
    assert files.locate(good, isolated) == path  # found now, not downloaded again

    bad = RemoteFile("g.bin", "0" * 64, url=f"{url}/f.bin")
    with pytest.raises(DatasetError, match=r"has sha256 .* expected 0000"):
        files.locate(bad, isolated)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["f.bin"]


def test_verification_is_memoised_per_file_state(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"one")
    calls: list[Path] = []

    def check(p: Path) -> dict[str, str]:
        calls.append(p)
        return {"sha256": files.sha256_file(p)}

    first = files.verified(path, "test-kind", check)
    assert files.verified(path, "test-kind", check) == first and len(calls) == 1
    path.write_bytes(b"two, longer")  # size (and mtime) change: checked again
    assert files.verified(path, "test-kind", check) != first and len(calls) == 2


def test_failed_checks_are_not_memoised(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"bad")

    def check(p: Path) -> dict[str, str]:
        raise DatasetError("corrupt")

    for _ in range(2):
        with pytest.raises(DatasetError):
            files.verified(path, "bad-kind", check)
    assert files.recall(path, "bad-kind") is None
