"""Count what a Slack export holds, straight from its files, for tests to assert against."""

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DAY_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")


@dataclass(frozen=True)
class SlackCounts:
    """Conversations, distinct threads and distinct messages of an export."""

    conversations: int
    threads: int
    messages: int
    per_channel: dict[str, int]


def _day_files(path: Path) -> list[tuple[str, bytes]]:
    """(channel folder, day file bytes) for every CHANNEL/YYYY-MM-DD.json."""
    found: list[tuple[str, bytes]] = []
    if path.is_dir():
        for day_file in sorted(path.glob("*/*.json")):
            if DAY_FILE.match(day_file.name):
                found.append((day_file.parent.name, day_file.read_bytes()))
        return found
    with zipfile.ZipFile(path) as archive:
        for name in sorted(archive.namelist()):
            parts = PurePosixPath(name).parts
            if DAY_FILE.match(parts[-1]) and len(parts) >= 2:
                found.append((parts[-2], archive.read(name)))
    return found


def count_slack_export(path: Path) -> SlackCounts:
    """Count distinct (channel, ts) messages and (channel, thread root) threads."""
    messages: set[tuple[str, str]] = set()
    threads: set[tuple[str, str]] = set()
    channels: set[str] = set()
    per_channel: dict[str, int] = {}
    for channel, data in _day_files(path):
        channels.add(channel)
        try:
            entries = json.loads(data)
        except ValueError:
            continue
        for entry in entries:
            if isinstance(entry, dict) and "ts" in entry:
                key = (channel, str(entry["ts"]))
                if key not in messages:
                    per_channel[channel] = per_channel.get(channel, 0) + 1
                messages.add(key)
                threads.add((channel, str(entry.get("thread_ts") or entry["ts"])))
    return SlackCounts(
        conversations=len(channels),
        threads=len(threads),
        messages=len(messages),
        per_channel=per_channel,
    )
