"""The Teams importer on Graph API pages written here after Microsoft's documented chatMessage."""

from __future__ import annotations

import json
from pathlib import Path

from handover.importers import teams
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format


def _message(message_id: str, **fields: object) -> dict:
    """A chatMessage resource as GET /chats/{id}/messages returns it."""
    base = {
        "id": message_id,
        "replyToId": None,
        "etag": message_id,
        "messageType": "message",
        "createdDateTime": "2023-05-01T09:00:00.1234567Z",
        "lastModifiedDateTime": "2023-05-01T09:00:00.1234567Z",
        "lastEditedDateTime": None,
        "deletedDateTime": None,
        "subject": None,
        "summary": None,
        "chatId": "19:meeting_abc@thread.v2",
        "importance": "normal",
        "locale": "en-us",
        "webUrl": None,
        "channelIdentity": None,
        "policyViolation": None,
        "eventDetail": None,
        "from": {
            "application": None,
            "device": None,
            "user": {
                "@odata.type": "#microsoft.graph.teamworkUserIdentity",
                "id": "8ea0e38b",
                "displayName": "Ada Lovelace",
                "userIdentityType": "aadUser",
            },
        },
        "body": {"contentType": "text", "content": "hello"},
        "attachments": [],
        "mentions": [],
        "reactions": [],
    }
    base.update(fields)
    return base


PAGE_ONE = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats('19%3Ameeting_abc')/messages",
    "@odata.count": 4,
    "@odata.nextLink": "https://graph.microsoft.com/v1.0/chats/19:meeting_abc/messages?$skiptoken=x",
    "value": [
        _message("1682931600000"),
        _message(
            "1682931700000",
            createdDateTime="2023-05-01T09:01:40.000Z",
            lastEditedDateTime="2023-05-01T09:05:00.000Z",
            body={
                "contentType": "html",
                "content": '<div><p>Thanks <at id="0">Bo</at>, see '
                '<a href="https://x.org">the plan</a></p><p>Second&nbsp;paragraph</p></div>',
            },
            attachments=[
                {
                    "id": "a1",
                    "contentType": "reference",
                    "contentUrl": "https://contoso.sharepoint.com/plan.docx",
                    "name": "plan.docx",
                }
            ],
            reactions=[
                {
                    "reactionType": "like",
                    "createdDateTime": "2023-05-01T09:02:00Z",
                    "user": {"user": {"id": "u2"}},
                },
                {
                    "reactionType": "like",
                    "createdDateTime": "2023-05-01T09:03:00Z",
                    "user": {"user": {"id": "u3"}},
                },
                {
                    "reactionType": "heart",
                    "createdDateTime": "2023-05-01T09:04:00Z",
                    "user": {"user": {"id": "u3"}},
                },
            ],
        ),
    ],
}
PAGE_TWO = {
    "@odata.context": PAGE_ONE["@odata.context"],
    "value": [
        _message("1682931800000", deletedDateTime="2023-05-01T10:00:00Z"),
        _message(
            "1682931900000",
            messageType="systemEventMessage",
            **{"from": None},
            body={"contentType": "html", "content": "<systemEventMessage/>"},
            eventDetail={"@odata.type": "#microsoft.graph.membersAddedEventMessageDetail"},
        ),
    ],
}
CHANNEL_PAGE = {
    "value": [
        _message(
            "100",
            chatId=None,
            subject="Release",
            channelIdentity={"teamId": "team-1", "channelId": "19:general@thread.tacv2"},
        ),
        _message(
            "101",
            chatId=None,
            replyToId="100",
            channelIdentity={"teamId": "team-1", "channelId": "19:general@thread.tacv2"},
            **{"from": {"application": {"id": "bot-1", "displayName": "Deploy Bot"}, "user": None}},
        ),
    ]
}


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(teams.importer.iter_records(source))


def test_it_reads_an_array_of_graph_pages(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([PAGE_ONE, PAGE_TWO]), encoding="utf-8")
    with ExportSource(path) as source:
        assert detect_format(source).format == "teams"
    records = _records(path)
    messages = [r for r in records if isinstance(r, MessageRecord)]
    pages = [PAGE_ONE, PAGE_TWO]
    not_deleted = [m for page in pages for m in page["value"] if not m["deletedDateTime"]]
    assert [m.key for m in messages] == [m["id"] for m in not_deleted]
    assert (
        SkippedItem("chat.json#2", "message 1682931800000 was deleted in Teams; nothing to import")
        in records
    )
    html = messages[1]
    assert html.text == "Thanks @Bo, see the plan\n\nSecond paragraph"
    assert html.is_edited and html.edited_at.isoformat() == "2023-05-01T09:05:00+00:00"
    assert html.reactions == (("heart", 1), ("like", 2))
    assert html.attachments[0].name == "plan.docx"
    assert messages[0].sent_at.isoformat() == "2023-05-01T09:00:00.123456+00:00"
    system = messages[2]
    assert system.kind == MessageRecord.Kind.SYSTEM and system.author_key is None
    assert system.text == "membersAddedEventMessageDetail"
    conversation = next(r for r in records if isinstance(r, ConversationRecord))
    assert conversation.key == "19:meeting_abc@thread.v2"
    assert [r.key for r in records if isinstance(r, PersonRecord)] == ["8ea0e38b"]


def test_it_reads_a_channel_page_with_replies_and_bots(tmp_path: Path) -> None:
    path = tmp_path / "channel.json"
    path.write_text(json.dumps(CHANNEL_PAGE), encoding="utf-8")
    records = _records(path)
    root, reply = [r for r in records if isinstance(r, MessageRecord)]
    assert root.conversation_key == "team-1/19:general@thread.tacv2"
    assert root.subject == "Release"
    assert reply.thread_key == "100" and reply.reply_to_key == "100"
    assert reply.kind == MessageRecord.Kind.BOT
    bot = next(r for r in records if isinstance(r, PersonRecord) and r.key == "bot-1")
    assert bot.is_bot and bot.display_name == "Deploy Bot"


def test_it_reports_a_truncated_page(tmp_path: Path) -> None:
    text = json.dumps(PAGE_ONE)
    path = tmp_path / "chat.json"
    path.write_text(text[: text.index('"id": "1682931700000"')], encoding="utf-8")
    records = _records(path)
    assert [r.key for r in records if isinstance(r, MessageRecord)] == ["1682931600000"]
    assert records[-1].location == "chat.json"
    assert records[-1].reason.startswith("malformed JSON")
