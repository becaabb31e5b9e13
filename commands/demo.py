"""`duban demo`: the whole product on the sample plan, a simulated year in about a minute.

It wires the real rooms together against the local WeCom emulator: import, contacts, the daily reminder
run on working days, the weekly digest, the outbox dispatcher, and liaisons answering through chat.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import time
from pathlib import Path

import click

from commands.common import App, pass_app
from i18n import _, ngettext

DEMO_WEBHOOK_KEY = "0d5b3a8e-5f2c-4c1e-9a7d-2b6f0e4c1a99"
# What an admin decides after reading the import warnings: these names are one unit each.
DUPLICATES = [("区政府办", "区政府办公室"), ("市发改局", "区发改局"), ("区人社局", "区人力资源社会保障局")]
# Groups the sample plan names, filled the way the district would (others: every government department).
GROUP_MEMBERS = {
    "各行政执法部门": ["区市场监管局", "区城市管理局", "区自然资源局", "区水务局", "区农业农村局", "区卫生健康局"],
    "区级各行政审批职能部门": ["区政管局", "区发改局", "区住建局", "区市场监管局", "区自然资源局"],
    "各有关单位": ["区人力资源社会保障局", "区住建局", "区税务局"],
}
SHOWN_PER_DAY = 6
WEEKDAYS = "一二三四五六日"


def _first_line(text: str, width: int = 46) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip() and not re.fullmatch(r"（\d+/\d+）", ln.strip())]
    line = lines[0] if lines else ""
    line = re.sub(r"</?font[^>]*>|\*\*|^#+\s*", "", line)
    return line if len(line) <= width else line[: width - 1] + "…"


class Demo:
    def __init__(self, config, emulator, seed: int, verbose: bool) -> None:
        from jobs.outbox import Dispatcher, make_sender

        self.config = config
        self.emulator = emulator
        self.rng = random.Random(seed)
        self.verbose = verbose
        self.dispatcher = Dispatcher(make_sender(config), config, sleep=lambda _s: None)
        self.seen = 0
        self.names: dict[str, str] = {}
        self.counts = {"reminders": 0, "escalations": 0, "digests": 0, "replies": 0}

    # --- set-up ---------------------------------------------------------------------------------------------

    def set_up(self) -> None:
        from commands.plans import SAMPLE_PLAN
        from plan.read import read_plan
        from plan.units import likely_duplicates
        from store.clock import clock
        from store.contacts import add_contact, add_leader_group
        from store.plan_import import save_plan
        from store.units import add_members, list_groups, list_units, merge_units

        parsed = read_plan(SAMPLE_PLAN)
        clock.freeze(dt.datetime.combine(parsed.issued_on, dt.time(10, 0)))
        report = save_plan(parsed, likely_duplicates=likely_duplicates)
        click.echo(_("Imported plan {code}: {title} — {tasks}, {units} units, {groups} unit groups, "
                     "{warnings} warnings (`duban plan show` lists them).").format(
            code=report.plan_code, title=report.plan_title,
            tasks=ngettext("{n} task", "{n} tasks", report.tasks).format(n=report.tasks),
            units=len(report.units_new), groups=len(report.groups_new), warnings=len(report.warnings)))
        # What an admin does after reading the warnings: two names were the same unit.
        for duplicate, unit in DUPLICATES:
            merge_units(duplicate, unit)
        units = [u["name"] for u in list_units()]
        government = [u for u in units if not u.startswith("区委")]
        for group in list_groups():
            add_members(group["name"], GROUP_MEMBERS.get(group["name"], government))
        for n, name in enumerate(units, start=1):
            short = name.removeprefix("区")[:4]
            add_contact(name, f"{short}联络员", f"liaison{n:02d}")
            add_contact(name, f"{short}负责人", f"leader{n:02d}", role="leader")
            self.names[f"liaison{n:02d}"] = f"{short}联络员"
            self.names[f"leader{n:02d}"] = f"{short}负责人"
        add_leader_group("区政府领导群", webhook_key=DEMO_WEBHOOK_KEY)
        click.echo(_("Set up {n} units with a liaison and a leader each, the unit groups filled, "
                     "and the leadership group 区政府领导群 (a group robot).").format(n=len(units)))

    # --- one simulated day ----------------------------------------------------------------------------------

    def day(self, day: dt.date) -> None:
        from jobs.calendar import load_calendar
        from jobs.digest import send_digests
        from jobs.reminders import send_reminders
        from store.clock import clock

        calendar = load_calendar()
        if not calendar.is_workday(day):
            return
        clock.freeze(dt.datetime.combine(day, dt.time(9, 10)))
        makeup = "（调休上班）" if day.weekday() >= 5 else ""
        click.echo(click.style(f"{day} 周{WEEKDAYS[day.weekday()]}{makeup}", bold=True))
        send_reminders(day, clock.utcnow(), self.config, calendar)
        send_digests(clock.now(), self.config, calendar)
        self.flush_and_show(replies=True)

    def flush_and_show(self, replies: bool) -> None:
        self.dispatcher.flush()
        delivered = self.emulator.delivered[self.seen:]
        self.seen += len(delivered)
        shown = hidden = 0
        for message in delivered:
            text = message["content"] if isinstance(message["content"], str) else str(message["content"])
            if message["channel"] == "webhook":
                self.counts["digests"] += 1
                who = "区政府领导群"
            else:
                who = self.names.get(message["target"], message["target"])
                if "逾期】" in text:
                    self.counts["escalations"] += 1
                elif "督办提醒" in text:
                    self.counts["reminders"] += 1
            visible = self.verbose or message["channel"] == "webhook" or shown < SHOWN_PER_DAY
            if visible:
                shown += 1
                click.echo(f"  → {who}: {text if self.verbose else _first_line(text)}")
            else:
                hidden += 1
            if replies and message["channel"] == "app" and "督办提醒" in text:
                self.reply(message["target"], text, visible)
        if hidden:
            click.echo("  " + _("… and {n} more message(s) (--verbose shows all)").format(n=hidden))
        if replies:
            self.dispatcher.flush()  # answers that notify someone else (extension requests …)
            self.seen = len(self.emulator.delivered)

    def reply(self, userid: str, reminder: str, visible: bool) -> None:
        """Some liaisons answer, the way people do: done, progress, or nothing."""
        from chat.handler import handle
        from store.clock import clock

        numbers = re.findall(r"^\[([A-Z]?\d+)\]", reminder, flags=re.MULTILINE)
        if not numbers or self.rng.random() < 0.45:
            return
        seq = self.rng.choice(numbers)
        roll = self.rng.random()
        text = f"完成 {seq}" if roll < 0.55 else f"进度 {seq} 已部署落实，正在推进 {self.rng.choice([30, 50, 80])}%"
        clock.advance(dt.timedelta(minutes=self.rng.randint(5, 120)))
        msgid = f"demo{self.rng.getrandbits(48)}"
        answer = handle(userid, text, msgid=msgid, now=clock.now(), config=self.config)
        self.counts["replies"] += 1
        if visible:
                click.echo(f"  ← {self.names.get(userid, userid)}: {text}  ⇢ {_first_line(answer.reply, 40)}")


@click.command()
@click.option("--dir", "folder", default="demo-data", show_default=True, type=click.Path(file_okay=False),
              help="Working folder for the demo's SQLite database (recreated each run).")
@click.option("--from", "start", default="2019-09-09", show_default=True, help="First simulated day.")
@click.option("--to", "end", default="2019-12-31", show_default=True, help="Last simulated day.")
@click.option("--speed", type=float, default=3.0, show_default=True,
              help="Real seconds per simulated week (0: as fast as possible).")
@click.option("--seed", type=int, default=2019, show_default=True, help="Seed for the simulated replies.")
@click.option("--verbose", is_flag=True, help="Print whole messages, not their first lines.")
@pass_app
def demo(app: App, folder: str, start: str, end: str, speed: float, seed: int, verbose: bool) -> None:
    """Watch duban work: the sample plan through its year against a local WeCom emulator.

    Imports the bundled 五华区 plan into a fresh SQLite database in --dir, gives every unit a demo liaison
    and leader, starts the WeCom emulator, then walks a simulated clock day by day: reminders on working
    days, escalations, the Monday digest to the leadership group, and liaisons answering 完成/进度.
    """
    from commands.common import parse_date
    from store import db, schema
    from store.clock import clock
    from wecom.emulator import WeComEmulator

    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise click.BadParameter(_("--to is before --from"))
    path = Path(folder)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    config = app.config
    emulator = WeComEmulator(clock=lambda: clock.now().timestamp(), webhook_keys=[DEMO_WEBHOOK_KEY]).start()
    try:
        config["database"]["url"] = f"sqlite:///{path / 'duban.db'}"
        config["wecom"].update(corp_id=emulator.corp_id, secret=emulator.corp_secret, agent_id=emulator.agent_id,
                               api_base_url=emulator.base_url)
        db.connect(config.database_url)
        schema.upgrade()
        click.echo(_("WeCom emulator at {url}; database {path}").format(url=emulator.base_url, path=path / "duban.db"))
        show = Demo(config, emulator, seed, verbose)
        show.set_up()
        day = first
        while day <= last:
            show.day(day)
            if speed > 0:
                time.sleep(speed / 7)
            day += dt.timedelta(days=1)
        c = show.counts
        click.echo("\n" + _("Done: {reminders} reminders, {escalations} escalations, {digests} digest messages, "
                            "{replies} replies recorded.").format(**c))
        click.echo(_("Look around (statuses are as of today, not {date}): {command}").format(
            date=last, command=f"DUBAN_DATABASE_URL=sqlite:///{path / 'duban.db'} .venv/bin/duban plan show A"))
    finally:
        emulator.stop()
        clock.unfreeze()
