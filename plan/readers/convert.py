"""Old binary formats (.doc, .wps, .xls, .et) converted with LibreOffice when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from plan.readers.base import PlanReadError

CONVERT_TIMEOUT_S = 180


def convert_with_soffice(data: bytes, name: str, target: str) -> bytes:
    """Convert to `target` ('docx' or 'xlsx') with `soffice --headless`; refuse with advice when it is absent."""
    app = "Word" if target == "docx" else "Excel"
    soffice = shutil.which("soffice")
    if soffice is None:
        raise PlanReadError(
            f"{name}: this old format cannot be read directly and LibreOffice (soffice) is not installed; "
            f"open it in WPS or {app} and save it as .{target}, then import that file"
        )
    suffix = Path(name).suffix.lower() or ".bin"
    with tempfile.TemporaryDirectory(prefix="duban-convert-") as tmp:
        source = Path(tmp) / f"plan{suffix}"
        source.write_bytes(data)
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        try:
            subprocess.run(
                [soffice, "--headless", "--convert-to", target, "--outdir", str(out_dir), str(source)],
                check=True,
                capture_output=True,
                timeout=CONVERT_TIMEOUT_S,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise PlanReadError(
                f"{name}: converting to .{target} with soffice failed ({exc}); "
                f"open it in WPS or {app} and save it as .{target}"
            ) from exc
        produced = sorted(out_dir.glob(f"*.{target}"))
        if not produced:
            raise PlanReadError(
                f"{name}: soffice produced no .{target} file; open it in WPS or {app} and save it as .{target}"
            )
        return produced[0].read_bytes()
