"""Reading the State Council's holiday notices (pure: no database). The truth is chinesecalendar (2004–2026).

Every year 2010–2026 is read from the notice texts under tests/data/holiday-notices/ (real pages, see
SOURCES.md), with the amending notices of 2015, 2019 and 2020, and compared day by day with chinesecalendar
with chinesecalendar itself left out of the answer (notice > Monday–Friday): what 2027 will look like.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

import chinese_calendar
import pytest

from jobs.calendar import WorkCalendar
from plan.holiday_files import notice_text, read_notice
from plan.holidays import HolidayYear, NoticeError, merge_notices, parse_notice

DATA = Path(__file__).parent / "data" / "holiday-notices"
YEARS = range(2010, 2027)
AMENDMENTS = {2015: ["2015-victory-day.txt"], 2019: ["2019-labour-day.txt"],
              2020: ["2020-spring-festival-extension.txt"]}
CLEAN = {2013: "2013-forum-junk.txt"}  # the only complete copy of the 2013 notice in the corpus
REAL_COPIES = {  # real messy copies from news sites and forums, and the clean file they must agree with
    "2010-forum-junk.txt": "2010.txt", "2011-traditional.txt": "2011.txt", "2012-pinyin.txt": "2012.txt",
    "2014-forum-junk.txt": "2014.txt", "2016-traditional.txt": "2016.txt",
    "2017-traditional-junk.txt": "2017.txt", "2018-forum-junk.txt": "2018.txt",
    "2020-traditional-pinyin.txt": "2020.txt", "2021-traditional-pinyin.txt": "2021.txt",
    "2023-traditional.txt": "2023.txt", "2024-traditional.txt": "2024.txt", "2026-traditional.txt": "2026.txt",
    "2019-labour-day-traditional.txt": "2019-labour-day.txt",
    "2020-spring-festival-extension-traditional.txt": "2020-spring-festival-extension.txt",
}


def text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def files_for(year: int) -> list[str]:
    return [CLEAN.get(year, f"{year}.txt")] + AMENDMENTS.get(year, [])


@cache
def all_years() -> dict[int, HolidayYear]:
    notices = [parse_notice(text(name), name) for year in YEARS for name in files_for(year)]
    return {y.year: y for y in merge_notices(notices)}


def notice_calendar(years: list[HolidayYear]) -> WorkCalendar:
    days = {day: info for year in years for day, info in year.days.items()}
    return WorkCalendar(notice=days, notice_years={y.year for y in years}, statutory=False)


def decided(days: dict[dt.date, tuple[str, str, str]]) -> dict[dt.date, tuple[str, str]]:
    return {day: (kind, name) for day, (kind, name, _) in days.items()}


@pytest.mark.parametrize("year", YEARS)
def test_every_day_of_the_year_matches_chinesecalendar(year):
    """Notice days, then Monday–Friday: the same working/non-working answer as chinesecalendar all year."""
    cal = notice_calendar(list(all_years().values()))
    day, wrong = dt.date(year, 1, 1), []
    while day.year == year:
        if cal.is_workday(day) != chinese_calendar.is_workday(day):
            wrong.append(day)
        day += dt.timedelta(1)
    assert wrong == []


@pytest.mark.parametrize("year", YEARS)
def test_each_notice_alone_agrees_on_every_day_it_decides(year):
    notices = [parse_notice(text(name), name) for name in files_for(year)]
    (result,) = merge_notices(notices)
    assert result.year == year and len(result.holidays()) >= 20 and result.workdays() or year == 2015
    for day, (kind, name, source) in result.days.items():
        assert (kind == "workday") == chinese_calendar.is_workday(day), (day, kind, name, source)
        assert name and source


@pytest.mark.parametrize("copy", sorted(REAL_COPIES))
def test_real_messy_copies_read_like_the_clean_notice(copy):
    clean = REAL_COPIES[copy]
    before = [parse_notice(text(f"{copy[:4]}.txt"))] if clean != f"{copy[:4]}.txt" else []  # an amendment's notice
    assert decided(merge_notices(before + [parse_notice(text(copy), copy)])[0].days) == \
        decided(merge_notices(before + [parse_notice(text(clean), clean)])[0].days)


# --- messy copies made from the clean texts, the ways news sites and forums change them -----------------------

def junk_lines(s: str) -> str:
    return ("首页 > 新闻中心 > 国内新闻 > 正文\n分享到：微信 微博 QQ空间\n来源：新华网 2025-11-04 22:15 字号：大 中 小\n"
            + s + "\n相关阅读\n上一篇：今冬明春供暖保障工作部署 下一篇：11月5日全国天气预报\n"
            "责任编辑：王某 | 举报 | 纠错\n版权所有 京ICP备12345678号\n")


def traditional(s: str) -> str:
    import opencc

    return opencc.OpenCC("s2t.json").convert(s)


PINYIN = {"国": "guó", "务": "wù", "月": "yuè", "日": "rì", "放": "fàng", "假": "jià", "调": "tiáo", "班": "bān",
          "节": "jié", "休": "xiū", "期": "qī", "至": "zhì", "上": "shàng", "共": "gòng"}


def pinyin(s: str) -> str:
    return "".join(f"{c}({PINYIN[c]})" if c in PINYIN and i % 2 else c for i, c in enumerate(s))


def ascii_punctuation(s: str) -> str:
    return s.translate(str.maketrans("，：（）；。", ",:();."))


def full_width(s: str) -> str:
    return s.translate(str.maketrans("0123456789,:()", "０１２３４５６７８９，：（）"))


def swap_weekday_words(s: str) -> str:
    return re.sub(r"星期(.)|周(?=[一二三四五六日])", lambda m: f"周{m[1]}" if m[1] else "星期", s)


def no_colons(s: str) -> str:
    return re.sub(r"([一二三四五六七])、\s*([^：\n]{2,9})：", r"\1、\2 ", s)  # 一、元旦 1月1日…


MESSES = {"junk lines": junk_lines, "no colons": no_colons, "traditional": traditional, "pinyin": pinyin,
          "ascii punctuation": ascii_punctuation, "full-width": full_width, "星期/周": swap_weekday_words,
          "all at once": lambda s: junk_lines(pinyin(traditional(full_width(swap_weekday_words(s)))))}


@pytest.mark.parametrize("mess", sorted(MESSES))
@pytest.mark.parametrize("year", YEARS)
def test_made_messy_copies_give_the_same_days(year, mess):
    names = files_for(year)
    clean = merge_notices([parse_notice(text(n), n) for n in names])[0]
    messy = merge_notices([parse_notice(MESSES[mess](text(n)), n) for n in names])[0]
    assert decided(messy.days) == decided(clean.days)


# --- what the notices say, read by hand -------------------------------------------------------------------

def test_2025_json_shape_and_days_read_by_hand():
    data = merge_notices([parse_notice(text("2025.txt"))])[0].as_json()
    assert set(data) == {"year", "holidays", "workdays", "names"} and data["year"] == 2025
    assert data["workdays"] == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]
    assert data["holidays"][:2] == ["2025-01-01", "2025-01-28"] and "2025-05-31" in data["holidays"]
    assert len(data["holidays"]) == 1 + 8 + 3 + 5 + 3 + 8  # 元旦 1 (周三, 不调休), 春节 8 …
    assert data["names"]["2025-01-01"] == "元旦" and data["names"]["2025-10-08"] == "国庆节、中秋节"
    assert data["names"]["2025-01-26"] == "春节"


def test_previous_december_and_days_without_month():
    y2019 = merge_notices([parse_notice(text("2019.txt"))])[0]
    assert y2019.days[dt.date(2018, 12, 29)][0] == "workday"  # 2018年12月29日（星期六）上班
    assert {dt.date(2018, 12, 30), dt.date(2018, 12, 31), dt.date(2019, 1, 1)} <= set(y2019.holidays())
    y2010 = merge_notices([parse_notice(text("2010.txt"))])[0]
    assert {dt.date(2010, 2, 20), dt.date(2010, 2, 21), dt.date(2010, 9, 25)} <= set(y2010.workdays())  # 21日…


def test_weekend_joined_and_weekend_inside_a_period():
    y2014 = merge_notices([parse_notice(text("2014.txt"))])[0]
    # 端午节：6月2日（周一）放假，与周末连休 -> 5月31日 and 6月1日 belong to it
    assert [d for d in y2014.holidays() if dt.date(2014, 5, 25) <= d <= dt.date(2014, 6, 8)] == \
        [dt.date(2014, 5, 31), dt.date(2014, 6, 1), dt.date(2014, 6, 2)]
    # 清明节：4月5日放假，4月7日（星期一）补休 -> Sunday 4月6日 lies inside
    assert {dt.date(2014, 4, 5), dt.date(2014, 4, 6), dt.date(2014, 4, 7)} <= set(y2014.holidays())


def test_amendments_in_order():
    y2020 = merge_notices([parse_notice(text(n)) for n in ("2020.txt", "2020-spring-festival-extension.txt")])[0]
    extended = {dt.date(2020, 1, 31), dt.date(2020, 2, 1), dt.date(2020, 2, 2)}
    assert extended <= set(y2020.holidays()) and dt.date(2020, 2, 1) not in y2020.workdays()
    assert dt.date(2020, 1, 19) in y2020.workdays() and dt.date(2020, 2, 3) not in y2020.days
    assert "延长2020年春节假期" in y2020.days[dt.date(2020, 2, 2)][2]
    y2019 = merge_notices([parse_notice(text(n)) for n in ("2019.txt", "2019-labour-day.txt")])[0]
    assert [d.day for d in y2019.holidays() if d.month == 5] == [1, 2, 3, 4]
    assert {dt.date(2019, 4, 28), dt.date(2019, 5, 5)} <= set(y2019.workdays())
    y2015 = merge_notices([parse_notice(text(n)) for n in ("2015.txt", "2015-victory-day.txt")])[0]
    assert y2015.days[dt.date(2015, 9, 4)][:2] == ("holiday", "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日")
    assert y2015.days[dt.date(2015, 9, 6)][0] == "workday"


def test_an_extension_needs_the_notice_it_extends():
    with pytest.raises(NoticeError, match="import the 2020 notice first"):
        merge_notices([parse_notice(text("2020-spring-festival-extension.txt"))])


def test_the_encouraged_day_off_is_not_a_holiday():
    y2024 = merge_notices([parse_notice(text("2024.txt"))])[0]
    assert dt.date(2024, 2, 9) not in y2024.days  # 鼓励…安排职工在除夕（2月9日）休息


# --- refused ----------------------------------------------------------------------------------------------

SAMPLE_PLAN = Path(__file__).parent.parent / "plan" / "samples"


@pytest.mark.parametrize("words", [
    "", "关于印发2019年政务公开工作要点分工方案的通知\n一、推进决策公开：10月底前完成。",
    "国务院办公厅关于印发“十四五”现代物流发展规划的通知\n各省、自治区、直辖市人民政府：现将规划印发给你们。",
])
def test_non_notices_are_refused(words):
    with pytest.raises(NoticeError, match="not a holiday notice"):
        parse_notice(words, "x.txt")


def test_a_plan_file_is_refused():
    sample = next(p for p in sorted(SAMPLE_PLAN.iterdir()) if p.suffix in (".txt", ".docx"))
    with pytest.raises(NoticeError):
        read_notice(sample.read_bytes(), sample.name)


@pytest.mark.parametrize("change, message", [
    (("2月8日(周六)上班", "2月1日(周六)上班"), "contradicts itself"),  # a make-up day inside 春节
    (("放假调休,共8天。1月26日", "放假调休,共9天。1月26日"), "共9天"),
    (("4月4日(周五)", "4月4日(周四)"), "星期五"),
])
def test_self_contradicting_notices_are_refused(change, message):
    source = text("2025.txt")
    assert change[0] in source
    with pytest.raises(NoticeError, match=message):
        parse_notice(source.replace(*change), "2025.txt")


# --- file formats ---------------------------------------------------------------------------------------------

def test_html_page_and_gbk_text():
    body = "".join(f"<p>{line}</p>" for line in text("2026.txt").splitlines())
    page = (f"<!DOCTYPE html><html><head><meta charset='gbk'><title>通知</title><script>var d='1月9日放假';</script>"
            f"</head><body><div class='nav'>首页 | 要闻</div>{body}</body></html>").encode("gbk")
    from_html = read_notice(page, "notice.html")
    from_gbk = read_notice(text("2026.txt").encode("gbk"), "notice.txt")
    assert decided(merge_notices([from_html])[0].days) == decided(merge_notices([from_gbk])[0].days)
    assert "二、春节" in notice_text(page, "notice.html")


def test_docx(tmp_path):
    import docx

    document = docx.Document()
    for line in text("2022.txt").splitlines():
        document.add_paragraph(line)
    path = tmp_path / "通知.docx"
    document.save(path)
    assert decided(merge_notices([read_notice(path.read_bytes(), path.name)])[0].days) == \
        decided(merge_notices([parse_notice(text("2022.txt"))])[0].days)


def test_binary_and_unsupported_files_are_refused():
    with pytest.raises(NoticeError, match="binary"):
        read_notice(b"\x00\x01PK\x03\x04" * 50, "notice.txt")
    with pytest.raises(NoticeError, match=".pdf is not read"):
        read_notice(b"%PDF-1.4", "notice.pdf")


def test_links_to_other_years_above_the_notice_do_not_change_its_year():
    page = "相关链接：国务院办公厅关于2025年部分节假日安排的通知\n" + text("2026.txt")
    notice = parse_notice(page)
    assert notice.year == 2026 and notice.title == "国务院办公厅关于2026年部分节假日安排的通知"
