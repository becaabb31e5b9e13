"""Read the State Council's holiday notice (国务院办公厅关于XXXX年部分节假日安排的通知) and the notices that amend it.

Pure: text in, days out. The text may be a copy from gov.cn, a news site or a forum: menus and junk lines
around it, full-width or ASCII punctuation, 星期 or 周, Traditional characters, pinyin inserted after
characters. Only the arrangement itself is read (the numbered items after 通知如下, or the body of an
amending notice), so a news summary above the notice or a principle such as "如逢周三则只在当日放假" is
never taken for a day off.

A notice gives, for each festival, the days off (放假, 调休, 补休, 公休; weekend days inside the period count
as days off, and 与周末连休 adds the adjacent weekend) and the make-up working days (上班). Dates without a
month take the previous date's month (`2月20日（星期六）、21日（星期日）上班`); dates without a year are in
the notice's year unless written otherwise (`2018年12月30日至2019年1月1日`). A weekday written beside a date
must be that date's weekday, and `共N天` must count the days of the range it follows: a notice that
disagrees with itself is refused rather than half-believed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from i18n import _

HOLIDAY, WORKDAY = "holiday", "workday"
WEEKDAYS = "一二三四五六日"  # 星期一 … 星期日 (天 is read as 日)


def statutory_year_known(year: int) -> bool:
    """Whether the chinesecalendar package (2004–2026 when this was written) knows `year`."""
    return _statutory_known(year)


@lru_cache(maxsize=64)
def _statutory_known(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class NoticeError(ValueError):
    """A text that is not a holiday notice, or a notice that contradicts itself; the message says which."""


@dataclass
class Festival:
    name: str
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)
    extend_to: dt.date | None = None  # an amending notice: the festival's days off now run to this date


@dataclass
class Notice:
    year: int
    title: str
    festivals: list[Festival]
    amends: bool = False  # 延长 / 调整 / a one-off 纪念日: changes the year's notice rather than replacing it


@dataclass
class HolidayYear:
    """One year's days as the notices (read in order) decided them: date -> (kind, name, source title)."""

    year: int
    days: dict[dt.date, tuple[str, str, str]] = field(default_factory=dict)

    def holidays(self) -> list[dt.date]:
        return sorted(d for d, (kind, _, _) in self.days.items() if kind == HOLIDAY)

    def workdays(self) -> list[dt.date]:
        return sorted(d for d, (kind, _, _) in self.days.items() if kind == WORKDAY)

    def as_json(self) -> dict:
        return {"year": self.year,
                "holidays": [d.isoformat() for d in self.holidays()],
                "workdays": [d.isoformat() for d in self.workdays()],
                "names": {d.isoformat(): self.days[d][1] for d in sorted(self.days)}}


# --- normalising a copied text -------------------------------------------------------------------------

_PINYIN = re.compile(r"\([A-Za-z\u00c0-\u024f\u1e00-\u1eff]{1,8}\)")


def _to_simplified(text: str) -> str:
    import opencc  # a compiled dictionary; loaded only when a notice is read

    return opencc.OpenCC("t2s.json").convert(text)


def normalise(text: str) -> str:
    """Full-width to ASCII, Traditional to Simplified, pinyin after characters removed."""
    text = unicodedata.normalize("NFKC", text).replace("\u3000", " ")
    text = _PINYIN.sub("", text)  # 國(guó)務(wù)院 -> 國務院, before opencc sees it
    text = _to_simplified(text)
    return text.replace("〈", "<").replace("〉", ">")


# --- finding the notice ----------------------------------------------------------------------------------

_FESTIVAL_WORDS = "元旦|春节|清明|劳动节|端午|中秋|国庆"
_TITLE = re.compile(r"国务院(?:办公厅)?关于([^。,;:《》]{2,60}?)的通知")
# the body's 现将2026年元旦… first: a page may link other years' notices above the one it shows
_ARRANGEMENT_YEAR = [re.compile(rf"现将(\d{{4}})年(?:{_FESTIVAL_WORDS})"),
                     re.compile(r"关于(\d{4})年部分节假日安排")]
_EXTEND = re.compile(r"延长(\d{4})年(\w{2,4}?)假期")
_ADJUST = re.compile(r"调整(\d{4})年(\w{2,4}?)假期")
_SPECIAL = re.compile(r"国务院(?:办公厅)?关于(.{2,50}?)(?:调休)?放假的通知")
_BODY_START = re.compile(r"通知如下|各直属机构:")
_BODY_END = re.compile(r"节假日期间|调休放假期间|劳动节期间|国务院办公厅\s*\n\s*[\d二〇○]{4}年")
_ITEM = re.compile(r"([一二三四五六七八九十]{1,3})\s*[、.]\s*([\u4e00-\u9fff、和]{2,20}?)\s*(?::|(?=\d))")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title(flat: str, year: int | None = None) -> str:
    """The notice's own title (of `year` when known: a page may link other years' notices)."""
    for match in _TITLE.finditer(flat):
        if re.search("节假日|假期|放假", match[1]) and (year is None or str(year) in match[1]):
            return match[0]
    return ""


def _body(text: str) -> str:
    start = _BODY_START.search(text)
    body = text[start.end():] if start else text
    end = _BODY_END.search(body)
    return body[:end.start()] if end else body


def parse_notice(raw: str, source: str = "") -> Notice:
    """Read one notice. Raises NoticeError for a text that is not a holiday notice or contradicts itself."""
    text = normalise(raw)
    flat = _flat(text)
    title = _title(flat)
    extend, adjust = _EXTEND.search(title or flat), _ADJUST.search(title or flat)
    year = next((int(m[1]) for p in _ARRANGEMENT_YEAR if (m := p.search(flat))), None)
    amends, single_name = False, ""
    if year is None and (extend or adjust):
        match = extend or adjust
        year, single_name, amends = int(match[1]), match[2], True
    elif year is None and (special := _SPECIAL.search(title or "")):
        single_name, amends = special[1], True  # a day added to the year's notice, which it does not replace
        first = re.search(r"(\d{4})年\d{1,2}月\d{1,2}日", _body(text))
        year = int(first[1]) if first else None
    if year is None:
        raise NoticeError(_("{source}: not a holiday notice (no 国务院办公厅关于XXXX年部分节假日安排的通知, "
                            "no 现将XXXX年元旦、春节… and no 延长/调整 notice found)").format(source=source or _("the text")))
    body = _body(text)
    items = list(_ITEM.finditer(body))
    if single_name or not items:
        festivals = [_festival(single_name or "节假日", body, year, source)]
    else:
        festivals = [_festival(match[2], body[match.end():items[i + 1].start() if i + 1 < len(items) else None],
                               year, source)
                     for i, match in enumerate(items)]
    festivals = [f for f in festivals if f.holidays or f.workdays or f.extend_to]
    if not festivals:
        raise NoticeError(_("{source}: no days off or make-up working days found for {year}; is this the holiday "
                            "notice?").format(source=source or _("the text"), year=year))
    _check_consistent(festivals, source)
    title = _title(flat, year) or f"{year}年部分节假日安排"
    return Notice(year=year, title=title, festivals=festivals, amends=amends)


# --- reading one festival's sentences ----------------------------------------------------------------------

_WEEKDAY_AFTER = re.compile(r"日\s*\(([^()\n]*?)\)")
_WEEKDAY_IN = re.compile(r"(?:星期|周)([一二三四五六日天])")
_PAREN = re.compile(r"\([^()\n]*\)")
_DATE = re.compile(r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日(?:\s*<([1-7])>)?"
                   r"(?:\s*(?:星期|周)([一二三四五六日天]))?")
_RANGE_SEP = re.compile(r"^\s*(?:至|到|-|—|–|~|～)\s*$")
_COUNT = re.compile(r"(?:共|放假)(\d{1,2})天")
_OFF = re.compile(r"放假|补休|调休|公休")


@dataclass
class _Date:
    day: dt.date
    start: int
    end: int


def _mark_weekdays(sentence: str) -> str:
    """`2月20日（星期六、农历…）` -> `2月20日<6>`; other asides (农历除夕, 除夕) go."""
    def mark(match: re.Match) -> str:
        weekday = _WEEKDAY_IN.search(match[1])
        return f"日<{WEEKDAYS.index(weekday[1].replace('天', '日')) + 1}>" if weekday else "日"

    return _PAREN.sub("", _WEEKDAY_AFTER.sub(mark, sentence))


def _dates(clause: str, year: int, context: list[int | None], source: str) -> list[_Date]:
    """The dates in a clause; `context` is [year, month] of the previous date, carried to dates without them."""
    found = []
    for match in _DATE.finditer(clause):
        explicit_year, month, day = match[1], match[2], int(match[3])
        if month is not None:
            y, m = (int(explicit_year) if explicit_year else year), int(month)
        elif context[1] is not None:
            y, m = context[0], context[1]
        else:
            continue  # `8日起可拨打…`: a day with no month anywhere before it is not a date of the notice
        try:
            date = dt.date(y, m, day)
        except ValueError:
            raise NoticeError(_("{source}: {text} is not a date").format(source=source or _("the notice"),
                                                                       text=match[0])) from None
        weekday = match[4] or (str(WEEKDAYS.index(match[5].replace("天", "日")) + 1) if match[5] else None)
        if weekday and int(weekday) != date.isoweekday():
            raise NoticeError(_("{source}: {date} is a 星期{real}, the notice says 星期{said} (is the year {year} "
                                "right?)").format(source=source or _("the notice"), date=date,
                                                  real=WEEKDAYS[date.weekday()], said=WEEKDAYS[int(weekday) - 1],
                                                  year=date.year))
        context[0], context[1] = y, m
        found.append(_Date(date, match.start(), match.end()))
    return found


def _days_in(clause: str, dates: list[_Date]) -> list[dt.date]:
    """Dates of a clause, ranges (`1月28日至2月4日`) expanded."""
    days: list[dt.date] = []
    i = 0
    while i < len(dates):
        current = dates[i]
        following = dates[i + 1] if i + 1 < len(dates) else None
        if following and _RANGE_SEP.match(clause[current.end:following.start]):
            end = following.day
            if end < current.day and end.year == current.day.year:
                end = end.replace(year=end.year + 1)  # 12月30日至1月1日
            days += [current.day + dt.timedelta(n) for n in range((end - current.day).days + 1)]
            i += 2
        else:
            days.append(current.day)
            i += 1
    return days


def _festival(name: str, text: str, year: int, source: str) -> Festival:
    festival = Festival(name=name.strip("、和"))
    context: list[int | None] = [year, None]
    weekend_joined = False
    for sentence in re.split(r"[。;\n]|(?<=\D)\.", text):
        if "鼓励" in sentence:  # 鼓励…安排职工在除夕（2月9日）休息: a wish, not a day off
            continue
        sentence = _mark_weekdays(sentence)
        sentence_off: list[dt.date] = []
        for clause in re.split(r"[,]", sentence):
            dates = _dates(clause, year, context, source)
            if "连休" in clause and "周末" in clause:
                weekend_joined = True
            if not dates:
                continue
            if "延长" in clause:
                festival.extend_to = dates[-1].day
            elif "上班" in clause:
                if re.search(r"起\s*(?:正常|照常)?\s*上班", clause):
                    continue  # 2月3日起正常上班: the end of the holiday, not a make-up day
                festival.workdays.update(_days_in(clause, dates))
            elif _OFF.search(clause):
                sentence_off += _days_in(clause, dates)
        count = _COUNT.search(sentence)
        if count and sentence_off and int(count[1]) != len(set(sentence_off)):
            raise NoticeError(_("{source}: {name} says 共{said}天 but gives {count} day(s) off ({span}); the notice "
                                "contradicts itself").format(source=source or _("the notice"), name=festival.name,
                                                             said=count[1], count=len(set(sentence_off)),
                                                             span=_span(sentence_off)))
        festival.holidays.update(sentence_off)
    _fill_weekends(festival.holidays, joined=weekend_joined)
    return festival


def _span(days: list[dt.date]) -> str:
    return f"{min(days)}…{max(days)}" if len(days) > 1 else str(days[0])


def _fill_weekends(holidays: set[dt.date], *, joined: bool) -> None:
    """Weekend days between days off belong to the period; 与周末连休 adds the adjacent weekend too."""
    if not holidays:
        return
    day, last = min(holidays), max(holidays)
    gap: list[dt.date] = []
    while day < last:
        day += dt.timedelta(1)
        if day in holidays:
            holidays.update(gap)
            gap = []
        elif day.weekday() >= 5:
            gap.append(day)
        else:
            gap = [dt.date.max]  # a working weekday in between: not one period
    if joined:
        for step in (-1, 1):
            day = (min if step < 0 else max)(holidays) + dt.timedelta(step)
            while day.weekday() >= 5:
                holidays.add(day)
                day += dt.timedelta(step)


def _check_consistent(festivals: list[Festival], source: str) -> None:
    for festival in festivals:
        for other in festivals:
            clash = festival.workdays & other.holidays
            inside = {d for d in festival.workdays
                      if other.holidays and min(other.holidays) < d < max(other.holidays)}
            if clash or inside:
                day = min(clash or inside)
                raise NoticeError(_("{source}: {day} is a make-up working day of {name} but inside the days off of "
                                    "{other}; the notice contradicts itself").format(
                    source=source or _("the notice"), day=day, name=festival.name, other=other.name))


# --- several notices, read in order ---------------------------------------------------------------------------

def merge_notices(notices: list[Notice], base: dict[int, list[Festival]] | None = None) -> list[HolidayYear]:
    """Apply notices in order: a later notice's festival replaces the same festival of an earlier one, an
    extension (延长…假期至DATE) lengthens it and cancels its make-up days now inside, a new one is added.
    `base` holds festivals already stored for a year whose notice is not among these (amendments alone)."""
    by_year: dict[int, dict[str, Festival]] = {}
    sources: dict[tuple[int, str], str] = {}
    for notice in notices:
        festivals = by_year.get(notice.year)
        if festivals is None:
            festivals = {} if not notice.amends else {f.name: f for f in (base or {}).get(notice.year, [])}
            by_year[notice.year] = festivals
        if notice.amends and not festivals:
            raise NoticeError(_("{title} changes the {year} holiday notice, which was not read before it: import the "
                                "{year} notice first (or name it before this file)").format(title=notice.title,
                                                                                             year=notice.year))
        for festival in notice.festivals:
            key = _same_festival(festival.name, festivals)
            if festival.extend_to is not None:
                if key is None:
                    raise NoticeError(_("{title} lengthens {name}, but no {year} notice with {name} was read before "
                                        "it: import the {year} notice first").format(title=notice.title,
                                                                                     name=festival.name,
                                                                                     year=notice.year))
                _extend(festivals[key], festival.extend_to)
                sources[(notice.year, key)] = notice.title
                continue
            name = key or festival.name
            festivals[name] = Festival(name, set(festival.holidays), set(festival.workdays))
            sources[(notice.year, name)] = notice.title
    years = []
    for year, festivals in sorted(by_year.items()):
        result = HolidayYear(year)
        for name, festival in festivals.items():
            source = sources.get((year, name), "")
            for day in sorted(festival.holidays):
                result.days[day] = (HOLIDAY, name, source)
            for day in sorted(festival.workdays):
                if result.days.get(day, ("",))[0] == HOLIDAY:
                    raise NoticeError(_("{day} is a make-up working day of {name} but a day off of {other}: the "
                                        "notices contradict each other").format(day=day, name=name,
                                                                                other=result.days[day][1]))
                result.days[day] = (WORKDAY, name, source)
        years.append(result)
    return years


def _same_festival(name: str, festivals: dict[str, Festival]) -> str | None:
    if name in festivals:
        return name
    parts = set(re.split("[、和]", name))
    return next((key for key in festivals if parts & set(re.split("[、和]", key))), None)


def _extend(festival: Festival, until: dt.date) -> None:
    day = max(festival.holidays) if festival.holidays else until
    while day < until:
        day += dt.timedelta(1)
        festival.holidays.add(day)
    festival.workdays -= festival.holidays


def disagreements(year: HolidayYear, other_notices: dict[dt.date, tuple[str, str, str]] | None = None) -> list[dict]:
    """Day by day, where a notice's year and chinesecalendar answer differently (years the package knows).
    A day of the year that another notice decides (2011-12-31, a make-up day of the 2012 notice) is that one's."""
    import chinese_calendar

    def kind(workday: bool) -> str:
        return WORKDAY if workday else HOLIDAY

    found = []
    others = {d for d in (other_notices or {}) if d not in year.days}
    days = set(year.days)
    day = dt.date(year.year, 1, 1)
    while statutory_year_known(year.year) and day.year == year.year:
        if chinese_calendar.is_workday(day) != (day.weekday() < 5):
            days.add(day)  # chinesecalendar moves this day; does the notice?
        day += dt.timedelta(1)
    for day in sorted(days):
        if not statutory_year_known(day.year) or day in others:
            continue
        statutory = chinese_calendar.is_workday(day)
        notice_kind, name, _ = year.days.get(day, (kind(day.weekday() < 5), "", ""))
        if (notice_kind == WORKDAY) != statutory:
            found.append({"day": day.isoformat(), "notice": notice_kind, "chinesecalendar": kind(statutory),
                          "name": name, "in_notice": day in year.days})
    return found
