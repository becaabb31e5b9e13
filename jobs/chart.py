"""A PNG of status by unit (done / on track / overdue) for the digest or a report, with Chinese that renders.

matplotlib's own fonts have no Chinese glyphs (they come out as boxes). The font comes from the PyPI
package noto-cjk-sans-otc (Noto Sans CJK, SIL OFL, a dependency of duban, so `pip install` brings it);
failing that, from a CJK font installed on the system (fonts-noto-cjk, fonts-wqy-microhei …).
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path

from i18n import _
from store.clock import clock
from store.digest_data import unit_status_counts
from store.files import tighten
from store.plans import get_plan

CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Noto Sans SC", "SimHei", "Microsoft YaHei", "PingFang SC")
WIDTH_IN, DPI = 10.0, 100
ROW_IN, MARGIN_IN, MIN_HEIGHT_IN = 0.32, 1.6, 3.0
COLORS = {"done": "#4caf50", "open": "#90a4ae", "overdue": "#e53935"}
LABELS = {"done": "已完成", "open": "进行中", "overdue": "逾期"}


class FontMissing(RuntimeError):
    """No font with Chinese glyphs could be found."""


def chart_size(units: int) -> tuple[int, int]:
    """The PNG's (width, height) in pixels for a chart of `units` rows."""
    height = max(MIN_HEIGHT_IN, MARGIN_IN + ROW_IN * max(units, 1))
    return round(WIDTH_IN * DPI), round(height * DPI)


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register a CJK font with matplotlib and return its family name."""
    from matplotlib import font_manager

    try:
        import noto_cjk_sans_otc

        font_manager.fontManager.addfont(os.fspath(noto_cjk_sans_otc.FONT_PATH))  # every face of the collection
        return "Noto Sans CJK SC"
    except ImportError:
        pass
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    raise FontMissing(_('no font with Chinese glyphs: `pip install noto-cjk-sans-otc` (or install fonts-noto-cjk / fonts-wqy-microhei)'))


def render_status_chart_png(path: str | Path, plan_ref: str | None = None, today: dt.date | None = None,
                            family: str | None = None) -> tuple[int, int]:
    """Draw a horizontal stacked bar per unit (done / on track / overdue); returns the PNG's pixel size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    today = today or clock.today()
    plan = get_plan(plan_ref)
    rows = unit_status_counts([plan.id], today)
    family = family or cjk_family()
    width, height = chart_size(len(rows))
    rc = {"font.family": "sans-serif", "font.sans-serif": [family, "DejaVu Sans"], "axes.unicode_minus": False}
    with plt.rc_context(rc):
        fig, ax = plt.subplots(figsize=(width / DPI, height / DPI), dpi=DPI)
        try:
            units = [r[0] for r in rows][::-1]  # most overdue at the top
            done = [r[1] for r in rows][::-1]
            open_ = [r[2] for r in rows][::-1]
            late = [r[3] for r in rows][::-1]
            ax.barh(units, done, color=COLORS["done"], label=LABELS["done"])
            ax.barh(units, open_, left=done, color=COLORS["open"], label=LABELS["open"])
            ax.barh(units, late, left=[d + o for d, o in zip(done, open_, strict=True)], color=COLORS["overdue"],
                    label=LABELS["overdue"])
            ax.set_title(f"{plan.title}：各单位完成情况（截至{today.month}月{today.day}日）", fontsize=12)
            ax.set_xlabel("事项数")
            ax.legend(loc="lower right")
            ax.grid(axis="x", alpha=0.3)
            fig.subplots_adjust(left=0.24, right=0.97, top=1 - 0.6 / (height / DPI), bottom=0.7 / (height / DPI))
            fig.savefig(path, dpi=DPI)
            tighten(path)
        finally:
            plt.close(fig)
    return width, height
