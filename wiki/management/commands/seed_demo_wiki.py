"""Seed a demo wiki space for the demo workspace; running it again adds nothing."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.models import Team
from wiki.models import Space
from wiki.services.pages import create_page
from wiki.services.spaces import create_space
from wiki.services.templates import create_template

SPACE_KEY = "demo"

HOME = """# Welcome to the demo space

This space shows what the wiki does. Start with the [[Deploy guide]], read the
[[On-call handbook]], or follow a red link to write a page that does not exist yet:
[[Incident review template]].

| Page | Owner | Review |
|---|---|---|
| [[Deploy guide]] | demo | every quarter |
| [[On-call handbook]] | ana | every month |
| [[部署指南]] | chen | every quarter |

- [x] Spaces, pages and history
- [ ] Write the incident review template
"""

DEPLOY = """# Deploy guide

## Before you start

Check that the build is green and that nobody else is deploying.

## Steps

```bash
make build
make deploy ENV=production
```

## Rollback

```python
def rollback(release: str) -> None:
    run(["make", "rollback", f"RELEASE={release}"])
```

Ask @ana when in doubt. The Chinese version is [[部署指南]].
"""

ONCALL = """# On-call handbook

The on-call engineer answers pages within 15 minutes. See the [[Deploy guide]] for
rollbacks.

> [!TIP]
> Hand over the pager with a short note about anything still open.
"""

CHINESE = """# 部署指南

## 准备

确认构建通过，并且没有其他人正在部署。

## 步骤

1. 运行 `make build`
2. 运行 `make deploy`

英文版本见 [[Deploy guide]]。
"""

TEMPLATE = """# {{title}}

Date: {{date}}

## What happened

## Impact

## What we will change
"""


class Command(BaseCommand):
    help = "Create the demo wiki space with a few linked pages (a second run adds nothing)."

    def handle(self, *args: object, **options: object) -> None:
        if Space.objects.filter(key=SPACE_KEY).exists():
            self.stdout.write("Found the demo wiki space.")
            return
        user = get_user_model().objects.filter(username="demo").first()
        team = Team.objects.filter(slug="demo-team").first()
        if user is None or team is None:
            raise CommandError("Run `manage.py seed_demo` first: it creates the demo user.")
        with transaction.atomic():
            space = create_space(
                name="Demo space",
                key=SPACE_KEY,
                by=user,
                description="Pages that show the wiki: links, tables, code, Chinese text.",
                team=team,
            )
            home = create_page(space=space, author=user, title="Home", body=HOME)
            create_page(space=space, author=user, title="Deploy guide", body=DEPLOY, tags=["ops"])
            create_page(
                space=space,
                author=user,
                title="On-call handbook",
                body=ONCALL,
                parent=home,
                tags=["ops", "on-call"],
                review_by=timezone.localdate() - timedelta(days=3),
            )
            create_page(space=space, author=user, title="部署指南", body=CHINESE)
            create_template(space=space, by=user, name="Incident review", body=TEMPLATE)
        self.stdout.write("Created the demo wiki space.")
