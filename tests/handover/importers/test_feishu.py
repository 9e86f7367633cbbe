"""The Feishu/Lark importer on message-list responses written here after the documented API."""

from __future__ import annotations

import json
from pathlib import Path

from handover.importers import feishu
from handover.importers.archive import ExportSource
from handover.importers.base import ConversationRecord, MessageRecord, PersonRecord, SkippedItem
from handover.importers.registry import detect_format


def _item(message_id: str, msg_type: str, content: dict, **fields: object) -> dict:
    """An item of GET /open-apis/im/v1/messages (body.content is a JSON string)."""
    base = {
        "message_id": message_id,
        "root_id": "",
        "parent_id": "",
        "thread_id": "",
        "msg_type": msg_type,
        "create_time": "1700000000000",
        "update_time": "1700000000000",
        "deleted": False,
        "updated": False,
        "chat_id": "oc_5ad11d72b830411d72b836c20",
        "sender": {
            "id": "ou_ada",
            "id_type": "open_id",
            "sender_type": "user",
            "tenant_key": "736588c9260f175e",
        },
        "body": {"content": json.dumps(content, ensure_ascii=False)},
        "mentions": [],
        "upper_message_id": "",
    }
    base.update(fields)
    return base


RESPONSE = {
    "code": 0,
    "msg": "success",
    "data": {
        "has_more": True,
        "page_token": "GxmvlNRvP0NdQZpa7yIqf_Lv_QuBwTQ8tXkX7w-irAghVD_TvuYd1aoJ1LQph86O",
        "items": [
            _item(
                "om_1",
                "text",
                {"text": "Hi @_user_1, the deploy is done"},
                mentions=[
                    {
                        "key": "@_user_1",
                        "id": "ou_bo",
                        "id_type": "open_id",
                        "name": "Bo",
                        "tenant_key": "736588c9260f175e",
                    }
                ],
            ),
            _item(
                "om_2",
                "post",
                {
                    "title": "Runbook",
                    "content": [
                        [
                            {"tag": "text", "text": "Step one "},
                            {"tag": "a", "href": "https://x.org/rb", "text": "here"},
                        ],
                        [
                            {"tag": "at", "user_id": "ou_bo", "user_name": "Bo"},
                            {"tag": "text", "text": " please review"},
                        ],
                    ],
                },
                root_id="om_1",
                parent_id="om_1",
                create_time="1700000060000",
                updated=True,
                update_time="1700000120000",
                sender={"id": "ou_bo", "id_type": "open_id", "sender_type": "user"},
            ),
            _item(
                "om_3",
                "interactive",
                {"title": "Build #42", "elements": [[{"tag": "text", "text": "passed"}]]},
                sender={"id": "cli_bot", "id_type": "app_id", "sender_type": "app"},
                create_time="1700000180000",
            ),
            _item("om_4", "image", {"image_key": "img_v2_abc"}, create_time="1700000240000"),
            _item("om_5", "text", {"text": "oops"}, deleted=True),
            _item(
                "om_6",
                "system",
                {
                    "template": "{from_user} invited {to_chatters} to this group chat.",
                    "from_user": ["Ada"],
                    "to_chatters": ["Cy", "Di"],
                },
                sender={"id": "", "id_type": "", "sender_type": "system"},
                create_time="1700000300000",
            ),
        ],
    },
}


def _records(path: Path) -> list:
    with ExportSource(path) as source:
        return list(feishu.importer.iter_records(source))


def test_it_reads_a_message_list_response(tmp_path: Path) -> None:
    path = tmp_path / "messages.json"
    path.write_text(json.dumps(RESPONSE, ensure_ascii=False), encoding="utf-8")
    with ExportSource(path) as source:
        assert detect_format(source).format == "feishu"
    records = _records(path)
    messages = {r.key: r for r in records if isinstance(r, MessageRecord)}
    items = RESPONSE["data"]["items"]
    assert list(messages) == [i["message_id"] for i in items if not i["deleted"]]
    assert messages["om_1"].text == "Hi @Bo, the deploy is done"
    assert messages["om_2"].text == "Runbook\nStep one here (https://x.org/rb)\n@Bo please review"
    assert messages["om_2"].thread_key == "om_1" and messages["om_2"].reply_to_key == "om_1"
    assert messages["om_2"].is_edited
    assert messages["om_3"].kind == MessageRecord.Kind.BOT
    assert messages["om_3"].text == "Build #42\npassed"
    assert (
        messages["om_4"].text == "[image]" and messages["om_4"].attachments[0].name == "img_v2_abc"
    )
    assert messages["om_6"].kind == MessageRecord.Kind.SYSTEM
    assert messages["om_6"].text == "Ada invited Cy, Di to this group chat."
    assert messages["om_1"].sent_at.isoformat() == "2023-11-14T22:13:20+00:00"
    assert (
        SkippedItem("messages.json#4", "message om_5 was deleted in Feishu; nothing to import")
        in records
    )
    people = {r.key: r for r in records if isinstance(r, PersonRecord)}
    assert people["ou_bo"].display_name == "Bo"
    assert people["cli_bot"].is_bot
    assert [r.key for r in records if isinstance(r, ConversationRecord)] == [
        "oc_5ad11d72b830411d72b836c20"
    ]


def test_it_reads_a_list_of_pages(tmp_path: Path) -> None:
    second = {
        "code": 0,
        "msg": "success",
        "data": {
            "has_more": False,
            "items": [_item("om_7", "text", {"text": "page two"}, create_time="1700000400000")],
        },
    }
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([RESPONSE, second], ensure_ascii=False), encoding="utf-8")
    keys = [r.key for r in _records(path) if isinstance(r, MessageRecord)]
    assert keys == ["om_1", "om_2", "om_3", "om_4", "om_6", "om_7"]
