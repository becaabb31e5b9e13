"""Bad files a plan import must refuse quickly, in bounded memory: built on disk by the tests and by
bench/bench_import_limits.py (which prints the time and peak memory of each refusal).

Each builder writes the file at `path` without holding the whole thing in memory, and returns the path.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

MB = 1024 * 1024
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def zip_bomb_docx(path: Path, unpacked_mb: int = 1024) -> Path:
    """A .docx whose word/document.xml unpacks to `unpacked_mb` MB of one repeated paragraph (deflate makes it
    about a thousand times smaller on disk)."""
    chunk = ("<w:p><w:r><w:t>" + "炸" * 4000 + "</w:t></w:r></w:p>").encode() * 64
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        with package.open("word/document.xml", "w", force_zip64=True) as part:
            written = 0
            while written < unpacked_mb * MB:
                part.write(chunk)
                written += len(chunk)
    return path


def many_entries_xlsx(path: Path, entries: int = 20000) -> Path:
    """An .xlsx package of tens of thousands of tiny parts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        for index in range(entries):
            package.writestr(f"xl/worksheets/_rels/r{index}.xml", b"<r/>")
    return path


def huge_file(path: Path, size_mb: int = 200) -> Path:
    """A 200 MB .docx (sparse on disk): refused by its size before it is read."""
    with path.open("wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(size_mb * MB)
    return path


def huge_sheet_xlsx(path: Path, rows: int = 60000) -> Path:
    """An .xlsx whose sheet declares tens of thousands of rows: more than a plan holds."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("任务")
    sheet.append(["序号", "工作任务", "具体要求", "责任单位", "完成时限"])
    for index in range(1, rows + 1):
        sheet.append([index, "任务", "具体要求", "区财政局", "10月底前"])
    book.save(path)
    return path


def scanned_pdf(path: Path) -> Path:
    """A PDF holding only a picture of a page (a scan): no text layer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure = plt.figure(figsize=(8.27, 11.69))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.imshow(np.random.default_rng(7).integers(180, 255, (120, 90)), cmap="gray", aspect="auto")
    axes.axis("off")
    figure.savefig(path, format="pdf")
    plt.close(figure)
    return path


def png_image(path: Path) -> Path:
    """A photo of the plan sent as an image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 2))
    figure.savefig(path, format="png")
    plt.close(figure)
    return path


def encrypted_docx(path: Path) -> Path:
    """What Word saves for a password-protected .docx: an OLE compound file with an EncryptedPackage stream
    (the directory entry names are UTF-16LE), not a zip package."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
                         for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage"))
    path.write_bytes(header + directory + b"\x00" * 4096)
    return path


def corrupt_xlsx(path: Path) -> Path:
    """An .xlsx cut off half-way through its download."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["序号", "工作任务", "具体要求", "责任单位", "完成时限"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2])
    return path


def html_without_plan(path: Path) -> Path:
    """A government news page (GBK) with no plan on it."""
    page = (
        '<html><head><meta charset="gbk"><title>区政府召开常务会议</title></head><body>'
        "<div class='nav'><a href='/'>首页</a> <a href='/zwgk'>政务公开</a></div>"
        "<h1>区政府召开第12次常务会议</h1><p>10月8日，区长主持召开区政府第12次常务会议，"
        "研究部署近期重点工作。会议听取了全区经济运行情况汇报。</p><p>会议强调，要抓好安全生产。</p>"
        "<table><tr><td>联系我们</td><td>电话：0871-12345678</td></tr></table></body></html>"
    )
    path.write_bytes(page.encode("gbk"))
    return path


BAD_FILES: dict[str, tuple[str, Callable[[Path], Path]]] = {
    # name: (file name, builder)
    "zip bomb named .docx (1 GB unpacked)": ("分工方案.docx", zip_bomb_docx),
    "xlsx with 20000 parts": ("分工方案.xlsx", many_entries_xlsx),
    "200 MB file": ("分工方案（大）.docx", huge_file),
    "xlsx with 60000 rows": ("台账.xlsx", huge_sheet_xlsx),
    "scanned PDF": ("扫描件.pdf", scanned_pdf),
    "image": ("照片.png", png_image),
    "encrypted docx": ("加密.docx", encrypted_docx),
    "corrupt xlsx": ("损坏.xlsx", corrupt_xlsx),
    "html without a plan": ("新闻.html", html_without_plan),
}
