"""The office's contact sheet, imported again and again: added, changed, unchanged, and who is missing.

userids are compared as WeCom compares them (trimmed, case-insensitive). A header may sit below a title row.
All rows or none: every bad row is named by its line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from i18n import _
from store.clock import utcnow
from store.contacts import HEADER_WORDS, check_mobile, check_role, check_userid
from store.db import StoreError, database
from store.models import Contact, Unit, UnitAlias
from store.units import clean_name, closest_units

HEADER_SEARCH_ROWS = 5
FIELDS = ("unit", "name", "mobile", "role")


@dataclass
class SheetResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # "userid: unit 区财政局 → 区审计局"
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # contacts not on the sheet: "name (userid, unit)"
    removed: list[str] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {"added": self.added, "changed": self.changed, "unchanged": self.unchanged, "missing": self.missing,
                "removed": self.removed, "rows": self.rows, "dry_run": self.dry_run}


def userid_key(userid: str) -> str:
    return (userid or "").strip().lower()


def _header(rows: list[Sequence[str]]) -> tuple[int, dict[str, int]]:
    """(index of the header row, column of each field): the header may follow a title row or two."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = HEADER_WORDS.get("".join(str(cell or "").split()).lower())
            if key and key not in columns:
                columns[key] = col
        if all(k in columns for k in ("unit", "name", "userid")):
            return index, columns
    raise StoreError(_("no header row with 单位/姓名/企业微信账号 (or unit/name/userid) in the first {n} rows").format(
        n=HEADER_SEARCH_ROWS))


def _read(rows: list[Sequence[str]], first_line: int) -> tuple[dict[str, dict], int]:
    start, columns = _header(rows)
    unit_ids = {u.name: u.id for u in Unit.select(Unit.id, Unit.name)}
    unit_ids.update({a.alias: a.unit_id for a in UnitAlias.select(UnitAlias.alias, UnitAlias.unit)})
    wanted: dict[str, dict] = {}
    seen: dict[str, int] = {}
    errors: list[str] = []

    def cell(row: Sequence[str], key: str) -> str:
        index = columns.get(key)
        if index is None or index >= len(row) or row[index] is None:
            return ""
        return str(row[index]).strip()

    for offset, row in enumerate(rows[start + 1:], start=start + 1):
        line = first_line + offset
        if not any(str(c or "").strip() for c in row):
            continue
        try:
            unit_name = clean_name(cell(row, "unit"))
            if unit_name not in unit_ids:
                hint = closest_units(unit_name)
                raise StoreError(_("unknown unit {name!r}").format(name=unit_name)
                                 + (_(" (did you mean {names}?)").format(names=", ".join(hint)) if hint else ""))
            name = cell(row, "name")
            if not name:
                raise StoreError(_("name is empty"))
            userid = check_userid(cell(row, "userid"))
            key = userid_key(userid)
            if key in seen:
                raise StoreError(_("userid {userid!r} is also on line {line}").format(userid=userid, line=seen[key]))
            seen[key] = line
            wanted[key] = {"unit": unit_ids[unit_name], "name": name, "userid": userid,
                           "mobile": check_mobile(cell(row, "mobile")),
                           "role": check_role(cell(row, "role") or "liaison")}
        except StoreError as exc:
            errors.append(_("line {line}: {error}").format(line=line, error=exc))
    if errors:
        raise StoreError(_("{n} bad row(s), nothing imported:").format(n=len(errors)) + "\n" + "\n".join(errors))
    return wanted, len(rows) - start - 1


def _differences(contact: Contact, row: dict, unit_names: dict[int, str]) -> list[str]:
    out = []
    for key in FIELDS:
        old = contact.unit_id if key == "unit" else getattr(contact, key)
        new = row[key]
        if (old or None) != (new or None):
            if key == "unit":
                old, new = unit_names.get(old, old), unit_names.get(new, new)
            out.append(f"{key} {old or '-'} → {new or '-'}")
    return out


def sync_contacts(rows: Iterable[Sequence[str]], *, update: bool = False, remove_missing: bool = False,
                  dry_run: bool = False, first_line: int = 1) -> SheetResult:
    """Bring contacts in line with the sheet. Rows already so are unchanged; new userids are added; rows that
    differ from the stored contact are changed only with `update` (else an error naming them); contacts not on
    the sheet are listed, and removed only with `remove_missing`."""
    rows = list(rows)
    if not rows:
        raise StoreError(_("the file is empty"))
    wanted, count = _read(rows, first_line)
    result = SheetResult(rows=count, dry_run=dry_run)
    unit_names = {u.id: u.name for u in Unit.select(Unit.id, Unit.name)}
    existing = {userid_key(c.userid): c for c in Contact.select()}
    updates: list[tuple[Contact, dict]] = []
    for key, row in wanted.items():
        contact = existing.get(key)
        if contact is None:
            result.added.append(row["userid"])
            continue
        diff = _differences(contact, row, unit_names)
        if diff:
            result.changed.append(f"{contact.userid}: " + ", ".join(diff))
            updates.append((contact, row))
        else:
            result.unchanged.append(contact.userid)
    for key, contact in existing.items():
        if key not in wanted:
            result.missing.append(f"{contact.name} ({contact.userid}, {unit_names.get(contact.unit_id, '?')})")
    if result.changed and not update:
        raise StoreError(_("{n} contact(s) on the sheet differ from duban's, nothing imported (add --update to "
                           "apply):").format(n=len(result.changed)) + "\n" + "\n".join(result.changed))
    if dry_run:
        return result
    now = utcnow()
    with database.atomic():
        new = [dict(wanted[userid_key(u)], created_at=now) for u in result.added]
        for start in range(0, len(new), 200):
            Contact.insert_many(new[start:start + 200]).execute()
        for contact, row in updates:
            for key in FIELDS:
                setattr(contact, key, row[key])
            contact.save()
        if remove_missing:
            for key, contact in existing.items():
                if key not in wanted:
                    contact.delete_instance()
                    result.removed.append(contact.userid)
    return result
