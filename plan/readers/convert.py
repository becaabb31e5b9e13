"""Old binary formats (.doc, .wps, .xls, .et) converted with LibreOffice when it is installed."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from i18n import _
from plan.readers.base import PlanReadError

CONVERT_TIMEOUT_S = 180


def convert_with_soffice(data: bytes, name: str, target: str) -> bytes:
    """Convert to `target` ('docx' or 'xlsx') with `soffice --headless`; refuse with advice when it is absent."""
    app = "Word" if target == "docx" else "Excel"
    soffice = shutil.which("soffice")
    if soffice is None:
        raise PlanReadError(
            _('{name}: this old format cannot be read directly and LibreOffice (soffice) is not installed; open it in WPS or {app} and save it as .{target}, then import that file').format(name=name, app=app, target=target)
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
                _('{name}: converting to .{target} with soffice failed ({exc}); open it in WPS or {app} and save it as .{target}').format(name=name, target=target, exc=exc, app=app)
            ) from exc
        produced = sorted(out_dir.glob(f"*.{target}"))
        if not produced:
            raise PlanReadError(
                _('{name}: soffice produced no .{target} file; open it in WPS or {app} and save it as .{target}').format(name=name, target=target, app=app)
            )
        return produced[0].read_bytes()
