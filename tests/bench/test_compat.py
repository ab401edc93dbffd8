"""The compatibility rules keep the shipped study's records valid (tunebench.compat)."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from tunebench.matrix.schema import Matrix
from tunebench.runspec import RunSpec

ARCHIVE = Path(__file__).resolve().parents[2] / "results" / "archive" / "study"


def test_the_shipped_study_keeps_its_fingerprint() -> None:
    stored = json.loads((ARCHIVE / "matrix.json").read_text(encoding="utf-8"))
    matrix = Matrix.model_validate(stored["matrix"])
    assert matrix.fingerprint() == stored["fingerprint"]


def test_a_shipped_run_record_keeps_its_spec() -> None:
    with tarfile.open(ARCHIVE / "stocks-mlp" / "random.tar.xz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("seed=0/run.json"))
        extracted = tar.extractfile(member)
        assert extracted is not None
        record = json.loads(extracted.read().decode("utf-8"))
    spec = record["spec"]
    assert RunSpec(**spec).to_dict() == spec


def test_a_key_at_its_default_stays_out_of_the_fingerprint() -> None:
    stored = json.loads((ARCHIVE / "matrix.json").read_text(encoding="utf-8"))
    data = stored["matrix"]
    data["problems"][0] = {**data["problems"][0], "evaluation": "holdout", "concurrency": None}
    data["budget"] = {**data["budget"], "concurrency": 1}
    assert Matrix.model_validate(data).fingerprint() == stored["fingerprint"]
    data["problems"][0]["concurrency"] = 4
    assert Matrix.model_validate(data).fingerprint() != stored["fingerprint"]


def test_the_shipped_study_verifies_against_its_sidecar(tmp_path: Path) -> None:
    """Its records predate hashes and stay as written; trials_sha256.json holds them."""
    from tunebench.records.integrity import SIDECAR_FILE, read_sidecar, verify_folder

    results = tmp_path / "study"
    results.mkdir()
    for name in ("matrix.json", SIDECAR_FILE):
        (results / name).write_bytes((ARCHIVE / name).read_bytes())
    with tarfile.open(ARCHIVE / "stocks-mlp" / "tpe.tar.xz") as tar:
        tar.extractall(tmp_path, filter="data")
    report = verify_folder(results)
    assert len(report.verified) == 30 and not report.unhashed and not report.failures
    assert len(read_sidecar(results)) == 2520  # every run of the study
