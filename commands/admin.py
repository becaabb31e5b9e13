"""The admin's who-is-who: units, unit groups, contacts and leader groups."""

from __future__ import annotations

from pathlib import Path

import click

from commands.common import App, emit, json_option, label, parse_date, pass_app, table
from i18n import _

# --- units -----------------------------------------------------------------------------------------------------


@click.group()
def unit() -> None:
    """Units (单位) and their aliases (区政府办 → 区政府办公室)."""


@unit.command("add")
@click.argument("name")
@click.option("--alias", "aliases", multiple=True, help="Another name for the unit (repeatable).")
@pass_app
def unit_add(app: App, name: str, aliases: tuple[str, ...]) -> None:
    """Add a unit and the other names plans use for it.

    Example: `duban unit add 区政府办公室 --alias 区政府办`. For a unit a plan import already created under two
    names, use `duban unit merge` instead.
    """
    from store.units import ensure_unit

    app.connect()
    created, new = ensure_unit(name, aliases)
    if not new:
        click.echo(_("Unit {name} already exists: nothing to do.").format(name=created.name))
    elif aliases:
        click.echo(_("Added unit {name} (aliases: {aliases}).").format(name=created.name, aliases="、".join(aliases)))
    else:
        click.echo(_("Added unit {name}.").format(name=created.name))


@unit.command("list")
@json_option
@pass_app
def unit_list(app: App, as_json: bool) -> None:
    """List units with their aliases, groups, contacts and assignments."""
    from store.units import list_units

    app.connect()
    emit(list_units(), as_json, lambda rows: table(
        [[u["name"], "、".join(u["aliases"]), "、".join(u["groups"]), u["contacts"], u["assignments"]] for u in rows],
        [_("unit"), _("aliases"), _("groups"), _("contacts"), _("assignments")],
    ))


@unit.command("alias")
@click.argument("alias")
@click.argument("unit_name", metavar="UNIT")
@pass_app
def unit_alias(app: App, alias: str, unit_name: str) -> None:
    """Make ALIAS another name of UNIT (plans that write ALIAS then resolve to UNIT)."""
    from store.units import ensure_alias, get_unit

    app.connect()
    _alias, new = ensure_alias(alias, unit_name)
    said = _("{alias} is now an alias of {unit}.") if new else _("{alias} is already a name of {unit}: nothing to do.")
    click.echo(said.format(alias=alias, unit=get_unit(unit_name).name))


@unit.command("rename")
@click.argument("old")
@click.argument("new")
@pass_app
def unit_rename(app: App, old: str, new: str) -> None:
    """Rename a unit; the old name stays as an alias."""
    from store.units import rename_unit

    app.connect()
    renamed = rename_unit(old, new)
    click.echo(_("Renamed to {name} (the old name is kept as an alias).").format(name=renamed.name))


@unit.command("merge")
@click.argument("source", metavar="FROM")
@click.argument("into", metavar="INTO")
@pass_app
def unit_merge(app: App, source: str, into: str) -> None:
    """Merge unit FROM into INTO: contacts, assignments, aliases and group memberships move; FROM becomes an alias."""
    from store.units import merge_units

    app.connect()
    counts = merge_units(source, into)
    if counts["already"]:
        click.echo(_("{source} is already merged into {into} (it is an alias): nothing to do.").format(
            source=source, into=into))
        return
    click.echo(_("Merged into {into}: {contacts} contact(s), {assignments} assignment(s), {aliases} alias(es), "
                 "{groups} group membership(s) moved.").format(into=into, **counts))


@unit.command("remove")
@click.argument("name")
@click.option("--force", is_flag=True, help="Also delete the unit's assignments and contacts.")
@pass_app
def unit_remove(app: App, name: str, force: bool) -> None:
    """Remove a unit (refused while it has assignments or contacts, unless --force)."""
    from store.units import remove_unit

    app.connect()
    removed = remove_unit(name, force=force)
    click.echo(_("Removed unit {name}.").format(name=removed.name))


# --- unit groups -----------------------------------------------------------------------------------------------


@click.group()
def group() -> None:
    """Unit groups that plans name as one (区政府各部门, 各行政执法部门 …)."""


@group.command("add")
@click.argument("name")
@click.option("--note", default="", help="What the group means, for the next admin.")
@pass_app
def group_add(app: App, name: str, note: str) -> None:
    """Add an (empty) unit group."""
    from store.units import ensure_group

    app.connect()
    created, new = ensure_group(name, note)
    said = _("Added group {name}.") if new else _("Unit group {name} already exists: nothing to do.")
    click.echo(said.format(name=created.name))


@group.command("add-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("units", nargs=-1, required=True)
@pass_app
def group_add_member(app: App, group_name: str, units: tuple[str, ...]) -> None:
    """Add units to GROUP; they take on the group's tasks from now on."""
    from store.units import add_members

    app.connect()
    result = add_members(group_name, units)
    if result["added"] < len(set(units)):
        click.echo(_("{n} of them already in {group}.").format(n=len(set(units)) - result["added"], group=group_name))
    click.echo(_("Added {added} unit(s) to {group}; {assignments} new assignment(s).").format(group=group_name, **result))


@group.command("remove-member")
@click.argument("group_name", metavar="GROUP")
@click.argument("units", nargs=-1, required=True)
@pass_app
def group_remove_member(app: App, group_name: str, units: tuple[str, ...]) -> None:
    """Remove units from GROUP (their group assignments without reports are dropped)."""
    from store.units import remove_members

    app.connect()
    result = remove_members(group_name, units)
    click.echo(_("Removed {removed} unit(s) from {group}; {assignments_dropped} assignment(s) dropped.").format(
        group=group_name, **result))


@group.command("list")
@json_option
@pass_app
def group_list(app: App, as_json: bool) -> None:
    """List unit groups with member and task counts (a group with no members reaches nobody)."""
    from store.units import PLAN_IMPORT_NOTE, list_groups

    app.connect()
    emit(list_groups(), as_json, lambda rows: table(
        [[g["name"], g["members"] or _("0 (no members!)"), g["tasks"],
          _(g["note"]) if g["note"] == PLAN_IMPORT_NOTE else g["note"]] for g in rows],
        [_("group"), _("members"), _("tasks"), _("note")],
    ))


@group.command("show")
@click.argument("group_name", metavar="GROUP")
@json_option
@pass_app
def group_show(app: App, group_name: str, as_json: bool) -> None:
    """Show a group's members and the tasks that name it."""
    from store.units import group_detail

    app.connect()

    def render(d: dict) -> None:
        click.echo(f"{d['name']}" + (f" — {d['note']}" if d["note"] else ""))
        click.echo(_("members ({n}): {names}").format(n=len(d["members"]), names="、".join(d["members"]) or _("none")))
        click.echo(_("tasks ({n}): {seqs}").format(n=len(d["tasks"]), seqs=", ".join(map(str, d["tasks"])) or _("none")))

    emit(group_detail(group_name), as_json, render)


# --- contacts --------------------------------------------------------------------------------------------------


@click.group()
def contact() -> None:
    """Contacts: each unit's liaison (联络员) and leader (领导) in WeCom."""


@contact.command("add")
@click.option("--unit", "unit_name", required=True, help="The contact's unit (name or alias).")
@click.option("--name", required=True, help="The person's name.")
@click.option("--userid", required=True, help="Their WeCom userid (账号), as shown in the admin console.")
@click.option("--mobile", help="11-digit mobile number.")
@click.option("--role", type=click.Choice(["liaison", "leader"]), default="liaison", show_default=True)
@pass_app
def contact_add(app: App, unit_name: str, name: str, userid: str, mobile: str | None, role: str) -> None:
    """Add a contact: a unit's liaison (联络员) or leader (领导) in WeCom.

    Example: `duban contact add --unit 区财政局 --name 张三 --userid zhangsan --mobile 13800138000`.
    """
    from store.contacts import ensure_contact

    app.connect()
    created, new = ensure_contact(unit_name, name, userid, mobile, role)
    said = _("Added {role} {name} ({userid}) to {unit}.") if new else \
        _("{name} ({userid}) is already {role} of {unit}: nothing to do.")
    click.echo(said.format(
        role=label(created.role), name=created.name, userid=created.userid, unit=created.unit.name))


@contact.command("list")
@click.option("--unit", "unit_name", help="Only this unit's contacts.")
@json_option
@pass_app
def contact_list(app: App, unit_name: str | None, as_json: bool) -> None:
    """List contacts."""
    from store.contacts import list_contacts

    app.connect()
    emit(list_contacts(unit_name), as_json, lambda rows: table(
        [[c["unit"], c["name"], c["userid"], c["mobile"], label(c["role"]),
          (_("away until {date}").format(date=c["away_until"]) + (f" → {c['delegate']}" if c["delegate"] else ""))
          if c["away_until"] else "",
          c["problem"] or ""] for c in rows],
        [_("unit"), _("name"), _("userid"), _("mobile"), _("role"), _("status"), _("problem")],
    ))


@contact.command("remove")
@click.argument("userid")
@pass_app
def contact_remove(app: App, userid: str) -> None:
    """Remove a contact by WeCom userid."""
    from store.contacts import remove_contact

    app.connect()
    removed = remove_contact(userid)
    click.echo(_("Removed {name} ({userid}).").format(name=removed.name, userid=removed.userid))


@contact.command("reachable")
@click.argument("userid")
@pass_app
def contact_reachable(app: App, userid: str) -> None:
    """Clear the problem WeCom reported for a contact (shown by `contact list` and `doctor`) once it is fixed.

    Reminders skip a contact WeCom could not deliver to; after correcting the userid in the WeCom console
    (or the app's visible range), run this, then `duban wecom check` to confirm.
    """
    from store.contacts import clear_problem

    app.connect()
    fixed = clear_problem(userid)
    click.echo(_("{name} ({userid}) will get messages again.").format(name=fixed.name, userid=fixed.userid))


@contact.command("cards")
@click.argument("userid")
@click.argument("setting", type=click.Choice(["on", "off", "auto"]))
@pass_app
def contact_cards(app: App, userid: str, setting: str) -> None:
    """Reminders to this contact as template cards with buttons (on), as text (off, e.g. for the WeChat plugin
    微工作台 or an old client), or as [cards] reminders decides (auto: text until they have clicked a card)."""
    from store.cardstate import set_contact_cards
    from store.db import StoreError

    app.connect()
    if not set_contact_cards(userid, {"on": True, "off": False, "auto": None}[setting]):
        raise StoreError(_("no contact with userid {userid}").format(userid=userid))
    click.echo(_("{userid}: reminder cards {setting}.").format(userid=userid, setting=setting))


@contact.command("away")
@click.argument("userid")
@click.option("--until", "until", help="Last day away (YYYY-MM-DD).")
@click.option("--delegate", help="Userid who gets their reminders meanwhile.")
@click.option("--back", is_flag=True, help="The contact is back: clear away and delegate.")
@pass_app
def contact_away(app: App, userid: str, until: str | None, delegate: str | None, back: bool) -> None:
    """Mark a contact away until a date (reminders go to the delegate), or back with --back."""
    from store.contacts import set_away

    if back == bool(until):
        raise click.UsageError(_("give either --until DATE or --back"))
    app.connect()
    changed = set_away(userid, None if back else parse_date(until or ""), delegate)
    if back:
        click.echo(_("{name} is back.").format(name=changed.name))
    elif changed.delegate_id:
        click.echo(_("{name} is away until {date}; {delegate} covers.").format(
            name=changed.name, date=changed.away_until, delegate=changed.delegate.name))
    else:
        click.echo(_("{name} is away until {date}.").format(name=changed.name, date=changed.away_until))


@contact.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--update", is_flag=True, help="Apply changed rows (unit, name, mobile, role) to existing contacts.")
@click.option("--remove-missing", is_flag=True, help="Remove contacts that are not on the sheet (asks first).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@json_option
@pass_app
def contact_import(app: App, file: str, update: bool, remove_missing: bool, yes: bool, dry_run: bool,
                   as_json: bool) -> None:
    """Import contacts from .csv (UTF-8 or GBK) or .xlsx, all rows or none; safe to rerun on the grown sheet.

    The header row (a title row above it is fine) names the columns: 单位, 姓名, 企业微信账号, 手机,
    角色 (联络员/领导), or unit, name, userid, mobile, role (liaison/leader). Rows already imported are
    unchanged; userids are compared as WeCom does (trimmed, any case). A row that differs from the stored
    contact is an error unless --update; contacts missing from the sheet are listed, and removed with
    --remove-missing.
    """
    from plan.tables import read_rows
    from store.contact_sheet import sync_contacts

    app.connect()
    rows = read_rows(file)
    if remove_missing and not dry_run and not yes:
        preview = sync_contacts(rows, update=update, dry_run=True)
        if preview.missing:
            click.echo(_("Not on the sheet, to be removed:"))
            for who in preview.missing:
                click.echo(f"  {who}")
            click.confirm(_("Remove these {n} contact(s)?").format(n=len(preview.missing)), abort=True)
    result = sync_contacts(rows, update=update, remove_missing=remove_missing, dry_run=dry_run)
    emit(result.as_dict(), as_json, lambda _data: print_sheet_result(result, Path(file).name))


def print_sheet_result(result, file: str) -> None:
    click.echo(_("{file}: {added} added, {changed} changed, {unchanged} unchanged.").format(
        file=file, added=len(result.added), changed=len(result.changed), unchanged=len(result.unchanged)))
    for userid in result.added:
        click.echo(f"  + {userid}")
    for change in result.changed:
        click.echo(f"  ~ {change}")
    if result.removed:
        click.echo(_("Removed {n} contact(s) not on the sheet: {who}").format(n=len(result.removed),
                                                                               who=", ".join(result.removed)))
    elif result.missing:
        click.echo(_("{n} contact(s) are not on the sheet (kept; --remove-missing removes them): {who}").format(
            n=len(result.missing), who="; ".join(result.missing)))
    if result.dry_run:
        click.echo(_("Dry run: nothing was written."))


@contact.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@pass_app
def contact_export(app: App, file: str) -> None:
    """Export contacts to .csv (UTF-8 with BOM, opens in Excel) or .xlsx, in the import format."""
    from plan.tables import write_rows
    from store.contacts import export_rows

    if Path(file).suffix.lower() not in (".csv", ".xlsx"):
        raise click.BadParameter(_("the file must end in .csv or .xlsx"), param_hint="FILE")
    app.connect()
    rows = export_rows()
    write_rows(Path(file), rows)
    click.echo(_("Exported {n} contact(s) to {file}.").format(n=len(rows) - 1, file=file))


# --- leader groups ---------------------------------------------------------------------------------------------


@click.group()
def leaders() -> None:
    """Leadership groups (领导群) that get the weekly digest."""


@leaders.command("add")
@click.argument("name")
@click.option("--webhook-key", help="Group robot key (or the robot's whole webhook URL).")
@click.option("--chat-id", help="The chatid of an existing app group chat (appchat) the app can post to.")
@click.option("--userids", help="Leaders' userids, comma-separated: each gets the digest as an app message.")
@click.option("--plan", "plan_ref", help="Only this plan (default: every active plan).")
@click.option("--schedule", default="mon 09:10", show_default=True, help="When the weekly digest goes out.")
@pass_app
def leaders_add(app: App, name: str, webhook_key: str | None, chat_id: str | None, userids: str | None,
                plan_ref: str | None, schedule: str) -> None:
    """Add a leader group reached by exactly one of --webhook-key, --chat-id or --userids."""
    from store.contacts import add_leader_group, masked_target

    if sum(bool(x) for x in (webhook_key, chat_id, userids)) != 1:
        raise click.UsageError(_("give exactly one of --webhook-key, --chat-id or --userids"))
    app.connect()
    ids = [u.strip() for u in userids.split(",") if u.strip()] if userids else None
    created = add_leader_group(name, webhook_key=webhook_key, chat_id=chat_id, userids=ids, plan=plan_ref,
                               schedule=schedule)
    if getattr(created, "already", False):
        click.echo(_("Leader group {name} already exists with this {channel}: nothing to do.").format(
            name=created.name, channel=label(created.channel)))
        return
    click.echo(_("Added leader group {name} ({channel}: {target}).").format(
        name=created.name, channel=label(created.channel), target=masked_target(created)))
    from store.delivery_health import shared_targets

    for _channel, target, names in shared_targets():
        if created.name in names:
            click.echo("! " + _("{names} now share one {channel} ({target}): each digest would reach that group "
                                "twice; give each group its own robot").format(
                names="、".join(names), channel=label(created.channel), target=target), err=True)


@leaders.command("list")
@json_option
@pass_app
def leaders_list(app: App, as_json: bool) -> None:
    """List leader groups (webhook keys masked)."""
    from store.contacts import list_leader_groups

    app.connect()
    emit(list_leader_groups(), as_json, lambda rows: table(
        [[g["name"], label(g["channel"]), g["target"], g["plan"] or _("all active plans"), g["schedule"]]
         for g in rows],
        [_("name"), _("channel"), _("target"), _("plan"), _("schedule")],
    ))


@leaders.command("remove")
@click.argument("name")
@pass_app
def leaders_remove(app: App, name: str) -> None:
    """Remove a leader group."""
    from store.contacts import remove_leader_group

    app.connect()
    removed = remove_leader_group(name)
    click.echo(_("Removed leader group {name}; {n} queued message(s) to it cancelled.").format(
        name=removed.name, n=removed.cancelled))


@leaders.command("test")
@click.argument("name")
@json_option
@click.pass_context
def leaders_test(ctx: click.Context, name: str, as_json: bool) -> None:
    """Send a visible test message to leader group NAME now and say whether WeCom took it (exit 1 if not)."""
    from jobs.leader_test import test_leader_group

    app = ctx.find_object(App)
    app.connect()
    result = test_leader_group(name, app.config)

    def render(_data: dict) -> None:
        if result.ok and result.msgid:
            click.echo(_("Test message delivered to {group} (WeCom msgid {msgid}): check that it shows in the group.")
                       .format(group=result.group, msgid=result.msgid))
        elif result.ok:  # a group robot answers without a msgid
            click.echo(_("Test message delivered to {group}: check that it shows in the group.")
                       .format(group=result.group))
        else:
            click.echo(_("Test message to {group} not delivered ({state}): {error}").format(
                group=result.group, state=label(result.state), error=result.error or "-"), err=True)

    emit(result.as_dict(), as_json, render)
    if not result.ok:
        ctx.exit(1)
