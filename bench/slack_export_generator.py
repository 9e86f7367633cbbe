"""Write a realistic Slack workspace export of any size, deterministically.

Used by ``bench/importers.py`` and by the resume test. The layout is the
official one (``users.json``, ``channels.json``, ``<channel>/<YYYY-MM-DD>.json``)
with what real exports hold: several channels, threads with replies
(``thread_ts``), edited messages, file shares, reactions, bot posts and join
events. Day files are written one at a time, so memory stays flat for a
million messages.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_WORD_TEXT = (
    "deploy rollback cache index query latency budget review migration schema release "
    "incident runbook oncall alert dashboard metrics ticket customer backlog sprint "
    "retro design api token queue worker cron backup restore failover replica shard "
    "vendor contract invoice onboarding handover docs wiki meeting agenda notes "
    "部署 回滚 缓存 索引 发布 文档 交接 会议"
)
WORDS = _WORD_TEXT.split()
FIRST_START = datetime(2021, 1, 4, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class GeneratedExport:
    """Where the export is and what it holds (computed while writing, for assertions)."""

    path: Path
    messages: int
    channels: int
    users: int
    day_files: int


def _ts(moment: datetime, sequence: int) -> str:
    # Slack ts: seconds.microseconds; the sequence keeps every ts in a channel unique.
    return f"{int(moment.timestamp())}.{sequence % 1_000_000:06d}"


def generate_slack_export(
    folder: Path,
    *,
    messages: int,
    channels: int = 8,
    users: int = 40,
    per_day: int = 400,
    seed: int = 7,
) -> GeneratedExport:
    """Write an export of exactly ``messages`` messages (replies included) into ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    user_list = [
        {
            "id": f"U{index:07d}",
            "name": f"user{index}",
            "real_name": f"User {index}",
            "profile": {"email": f"user{index}@example.com", "real_name": f"User {index}"},
            "is_bot": False,
        }
        for index in range(users)
    ]
    (folder / "users.json").write_text(json.dumps(user_list))
    channel_list = [
        {
            "id": f"C{index:07d}",
            "name": f"channel-{index}",
            "created": int(FIRST_START.timestamp()),
            "topic": {"value": f"Topic of channel {index}"},
            "purpose": {"value": ""},
        }
        for index in range(channels)
    ]
    (folder / "channels.json").write_text(json.dumps(channel_list))
    share = [messages // channels] * channels
    for index in range(messages - sum(share)):
        share[index] += 1
    day_files = 0
    for channel, count in zip(channel_list, share, strict=True):
        channel_dir = folder / channel["name"]
        channel_dir.mkdir(exist_ok=True)
        written = 0
        day = 0
        sequence = 0
        while written < count:
            today = FIRST_START + timedelta(days=day)
            batch = []
            open_threads: list[str] = []
            target = min(per_day, count - written)
            while len(batch) < target:
                sequence += 1
                moment = today + timedelta(seconds=len(batch) * 60 // max(1, per_day // 600 + 1))
                ts = _ts(moment, sequence)
                user = rng.choice(user_list)["id"]
                text = " ".join(rng.choices(WORDS, k=rng.randint(4, 30)))
                message: dict = {"type": "message", "user": user, "text": text, "ts": ts}
                roll = rng.random()
                if open_threads and roll < 0.35:
                    message["thread_ts"] = rng.choice(open_threads)
                elif roll < 0.45:
                    message["thread_ts"] = ts
                    message["reply_count"] = 0
                    open_threads.append(ts)
                if rng.random() < 0.05:
                    message["edited"] = {"user": user, "ts": _ts(moment + timedelta(minutes=5), 0)}
                if rng.random() < 0.03:
                    message["files"] = [
                        {
                            "id": f"F{sequence:08d}",
                            "name": f"report-{sequence}.pdf",
                            "mimetype": "application/pdf",
                            "size": rng.randint(1000, 900_000),
                        }
                    ]
                if rng.random() < 0.1:
                    message["reactions"] = [
                        {"name": "thumbsup", "count": 2, "users": [user, user_list[0]["id"]]}
                    ]
                if rng.random() < 0.02:
                    message = {
                        "type": "message",
                        "subtype": "bot_message",
                        "bot_id": "B0000001",
                        "username": "deploybot",
                        "text": f"Deployed build {sequence}",
                        "ts": ts,
                    }
                batch.append(message)
            (channel_dir / f"{today:%Y-%m-%d}.json").write_text(
                json.dumps(batch, ensure_ascii=False)
            )
            day_files += 1
            written += len(batch)
            day += 1
    return GeneratedExport(
        path=folder,
        messages=messages,
        channels=channels,
        users=users,
        day_files=day_files,
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--messages", type=int, default=100_000)
    arguments = parser.parse_args()
    print(generate_slack_export(arguments.folder, messages=arguments.messages))
