"""A non-editable install carries models, templates, policy and demo data."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_resources_and_finds_them_installed(tmp_path: Path) -> None:
    """GIVEN the project WHEN built as a wheel and installed elsewhere THEN the trained models,
    templates and policy are inside it and the installed package finds and loads them."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("inbox_triage-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    prefix = "inbox_triage/_resources/"
    assert f"{prefix}data/policy.toml" in names
    assert f"{prefix}models/hu/inbox_triage.json" in names
    assert f"{prefix}models/en/inbox_triage.json" in names
    assert any(name.startswith(f"{prefix}templates/") for name in names)
    assert any(name.startswith(f"{prefix}data/demo/messages/") for name in names)

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    probe = (
        "import inbox_triage.resources as r, inbox_triage.nlp.classify as c;"
        "print(r.resource_root());"
        "m = c.Classifier.load(); print(sorted(m.models), m.problems)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == str(target / "inbox_triage" / "_resources")
    assert lines[1] == "['en', 'hu'] {}"
