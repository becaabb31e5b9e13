"""Evidence records: one per (assignment, sha256), listed per item, counted, sized per unit."""

from store import evidence
from store.models import Contact, Evidence
from tests import chat_world as w


def _record(assignment, sha, name="发布截图.jpg", size=1000, sender="czj"):
    contact = Contact.get(Contact.userid == sender)
    return evidence.record_evidence(assignment.id, contact.id, sender, name, "image", "image/jpeg", size, sha,
                                    evidence.relative_path(sha, name), "m1", w.now(), w.now())


def test_same_content_twice_is_one_record(db_url):
    w.build()
    item = w.assignment(24, "区财政局")
    first, created = _record(item, "a" * 64)
    again, created_again = _record(item, "a" * 64, name="另存为.jpg")
    assert created and not created_again
    assert again.id == first.id and again.filename == "发布截图.jpg"
    assert Evidence.select().count() == 1
    other = w.assignment(14, "区财政局")
    assert _record(other, "a" * 64)[1]  # the same photo for another item is that item's evidence too
    assert [e.filename for e in evidence.list_evidence(item.id)] == ["发布截图.jpg"]
    assert evidence.list_evidence(item.id)[0].sender_name == "张三"
    assert evidence.evidence_count([item.id, other.id, 999]) == {item.id: 1, other.id: 1}
    assert evidence.unit_bytes(item.unit_id) == 2000
    assert set(evidence.evidence_by_assignment([item.id, other.id])) == {item.id, other.id}
    assert evidence.get_evidence(first.id).sha256 == "a" * 64
    assert evidence.get_evidence(10**6) is None


def test_sender_kept_when_contact_is_deleted(db_url):
    w.build()
    item = w.assignment(24, "区财政局")
    info, _ = _record(item, "b" * 64)
    Contact.delete().where(Contact.userid == "czj").execute()
    (kept,) = evidence.list_evidence(item.id)
    assert (kept.sender, kept.sender_name, kept.id) == ("czj", "czj", info.id)


def test_relative_path_and_long_names():
    assert evidence.relative_path("ab" + "0" * 62, "x.JPG") == "ab/ab" + "0" * 62 + ".jpg"
    assert evidence.relative_path("cd" + "0" * 62, "no-extension") == "cd/cd" + "0" * 62
    assert evidence.relative_path("cd" + "0" * 62, "x.<script>") == "cd/cd" + "0" * 62
    long = "报告" * 200 + ".pdf"
    assert len(evidence.clip_filename(long)) == 190 and evidence.clip_filename(long).endswith(".pdf")
