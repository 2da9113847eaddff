"""The runner and the lot-history store: database state in the manifest, no passwords in records."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli


def test_a_url_with_a_password_is_refused_before_any_kernel(tmp_path):
    out = tmp_path / "cpv"
    r = run_cli("run", "cpv_trending", "-p", "db", "postgresql://qa:s3cret@127.0.0.1:5432/lots", "-o", str(out))
    assert r.returncode == 2, r.stderr
    assert "parameter 'db': the URL carries a password" in r.stderr
    assert "s3cret" not in r.stderr and "s3cret" not in r.stdout
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_cpv_manifest_records_the_database_state_it_read(tmp_path):
    out = tmp_path / "cpv"
    r = run_cli("run", "cpv_trending", "-o", str(out))
    assert r.returncode == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    state = manifest["database"]["db_state"]
    # the synthetic sample history: 5 years x 24 lots x 8 attributes (data_samples/lot_history/README.md)
    assert state["row_count"] == 960
    assert state["max_row_id"] >= 960
    assert "SELECT" in state["query"].upper() or state["query"]
    import nbformat

    nb = nbformat.read(str(out / "cpv_trending.ipynb"), as_version=4)
    assert nb.metadata["pdkit"]["database"] == manifest["database"]
    assert run_cli("verify", str(out)).returncode == 0
