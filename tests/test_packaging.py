"""A non-editable install must carry the Jinja2 templates and the demo's sample files."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_templates_sample_files_and_migrations(tmp_path: Path) -> None:
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
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("bulkpoc-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (ROOT / "templates").iterdir():
        assert f"bulkpoc/templates/{template.name}" in names
    for sample in (ROOT / "sample_files").iterdir():
        assert f"bulkpoc/sample_files/{sample.name}" in names
    assert "bulkpoc/migrations/env.py" in names
    assert any(name.startswith("bulkpoc/migrations/versions/0001") for name in names)
    assert any(name.endswith("entry_points.txt") for name in names)
