"""Wiki server time: page view, history, diff, save and search on a space of 10,000 pages.

Usage::

    .venv/bin/python bench/wiki.py                 # build once (reused later), then measure
    .venv/bin/python bench/wiki.py --rebuild       # throw the data away and build it again
    .venv/bin/python bench/wiki.py --pages 500 --requests 50 --database bench_wiki_trial
    .venv/bin/python bench/wiki.py --http --pages 2000   # over loopback HTTP, as make run serves

The data lives in its own database, ``bench_wiki``. The build makes one private space of
``--pages`` pages (100 top-level areas, the rest as their children), each about 1,000 words
of varied prose (a Zipf-distributed vocabulary of common and made-up words, plus ten
subject words of its own, so a word like "deploy" is on about one page in seven), headings,
lists, a fenced code block, [[wikilinks]] (some to missing pages) and, on a few pages,
Chinese paragraphs; each page has 5 revisions, tags, an owner and some a past review date.

Building goes around the services for speed (``create_page`` and ``publish_revision`` cost
about 60 ms a revision here, an hour for 50,000), but produces the same rows they would:
every revision's ``rendered_html`` comes from ``wiki.rendering.render_markdown`` with
links resolved exactly as ``wiki.selectors.rendering.render_body`` resolves them, and its
``toc`` from ``wiki.services.indexing._toc_entries``; the current revision's links become
``PageLink`` rows; the search columns are written by the services' own ``_index``.
At the end of a build a sample of pages is checked against the services themselves.

Measuring goes through Django's test ``Client`` in-process (no network, no server), signed
in as the space's admin, after a warm-up round of each operation: the HTML page view,
history, inline diff between revisions 4 and 5, search (single words, several words, a
phrase and a Chinese query) and a save through ``PUT /api/wiki/pages/<id>/`` with
If-Match (which runs ``publish_revision``). Each prints p50/p95/mean and the number of SQL
queries of one request; the last line is one JSON object.

With ``--http`` the same operations go over loopback HTTP to gunicorn started as ``make run``
starts it (``config.asgi`` under 2 uvicorn workers, Django in 4 threads each, hashed static
files, DEBUG off; ``--app config.wsgi:application`` for the threaded WSGI server instead),
signed in with a session cookie (pages) and a token (the save), one keep-alive connection per
client, plus the diff alone as htmx swaps it in (``diff_fragment``: what django-wiki's history
page fetches, as JSON, for its diff, where the full diff page is what our history links to);
then ``--clients`` (8) clients view random pages for ``--seconds`` (10) and it prints
the views per second they got and the p50/p95 under that load. The client runs on the same
machine, so on 2 cores it takes CPU from the server, as any loopback client would. Beside
each figure it prints the server's CPU per request (gunicorn's master and workers, from
``/proc``): response times move with whatever else the machine runs, the server's own
CPU far less, so compare that when the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATABASE = "bench_wiki"
SPACE_KEY = "bench"
REVISIONS = 5
AREAS = 100
BATCH = 250
TOPIC_WORDS = 10
# The share of a page's words drawn from its subject words; the rest is general vocabulary.
TOPIC_SHARE = 0.1


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words(
    "the of and to in is that for it as with was on be by this are or from at an which "
    "have not has but all can more one will been would their there when if so what about "
    "into than other some could them only also then new time these two may first any each "
    "because most after should between over where through before while under every again"
)
DOMAIN = _words(
    "deploy deployment service cluster node latency budget rollback canary release config "
    "pipeline owner review metric alert runbook database index query cache queue worker "
    "retry timeout backoff replica shard partition schema migration endpoint request "
    "response token session secret certificate rotation incident postmortem oncall pager "
    "dashboard threshold capacity quota storage bucket snapshot backup restore failover "
    "region zone network gateway proxy balancer firewall policy permission audit log trace "
    "span sampling build artifact registry container image kernel memory thread process "
    "handler scheduler cron batch stream consumer producer topic offset checksum compression "
    "encryption customer invoice billing contract vendor roadmap milestone estimate sprint "
    "retrospective decision proposal tradeoff constraint requirement feedback experiment "
    "hypothesis baseline regression benchmark profile flamegraph allocation garbage leak "
    "upgrade downgrade compatibility deprecation feature flag toggle rollout cohort "
    "analytics warehouse pipeline ingestion transform export import parser validator"
)
CHINESE = [
    "部署流程需要先在预发布环境验证，再逐步放量到生产环境。",
    "如果延迟超过阈值，值班工程师应该立即回滚最近的变更。",
    "数据库迁移必须向后兼容，并且在低峰期执行。",
    "监控告警的负责人需要每季度检查一次阈值设置。",
    "新同事入职时请先阅读团队的交接文档和运行手册。",
    "缓存失效策略决定了用户看到的数据有多新。",
]
TAGS = [f"{word}" for word in DOMAIN[:30]]
SYLLABLES = _words("ka lo mi ne ru ta shi vo pen dar lin gor mel tis bra qua zen fol rix tan")
CODE = '''```python
def {name}(items, limit={limit}):
    """Return the first {limit} {word} entries that are ready."""
    ready = [item for item in items if item.ready]
    if not ready:
        raise ValueError("no {word} is ready")
    return sorted(ready, key=lambda item: item.priority)[:limit]
```'''
SEARCHES = [
    "deploy",
    "rollback",
    "latency budget",
    "canary release rollout",
    "checksum",
    '"feature flag"',
    "postmortem incident oncall",
    "kafolo",
    "部署",
    "database migration schema",
]


def _setup_django(database: str) -> None:
    os.environ["TACIT_DB_NAME"] = database
    # Serve plain static names: the bench never runs collectstatic.
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


# --- Text generation ---------------------------------------------------------------------------


def _vocabulary(rnd: random.Random) -> tuple[list[str], list[float]]:
    """Common words first, then made-up ones; Zipf weights make a natural word frequency."""
    invented = sorted(
        {"".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))) for _ in range(4000)}
    )
    words = COMMON + invented
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]
    return words, weights


def _topic(index: int) -> list[str]:
    """The subject words of page ``index``: a page is about a few things, not about all of
    them, so a subject word like "deploy" is on roughly one page in seven, as in a real
    team wiki, rather than on every page."""
    return random.Random(1_000_000 + index).sample(DOMAIN, TOPIC_WORDS)


class TextMaker:
    """Deterministic page text: page ``i``'s revisions are the same on every build."""

    def __init__(self, titles: list[str]) -> None:
        self.titles = titles
        self.words, self.weights = _vocabulary(random.Random(7))

    def _sentence(self, rnd: random.Random, topic: list[str]) -> str:
        words = rnd.choices(self.words, self.weights, k=rnd.randint(8, 20))
        words = [rnd.choice(topic) if rnd.random() < TOPIC_SHARE else word for word in words]
        return " ".join(words).capitalize() + "."

    def _paragraph(self, rnd: random.Random, topic: list[str], link: bool) -> str:
        sentences = [self._sentence(rnd, topic) for _ in range(rnd.randint(3, 6))]
        if link:
            target = (
                rnd.choice(self.titles)
                if rnd.random() < 0.85
                else f"Missing topic {rnd.randint(1, 500)}"
            )
            sentences.insert(rnd.randint(0, len(sentences)), f"See [[{target}]].")
        return " ".join(sentences)

    def first_revision(self, index: int) -> str:
        rnd = random.Random(index)
        topic = _topic(index)
        parts: list[str] = []
        words = 0
        section = 0
        while words < 1000:
            if words == 0 or rnd.random() < 0.18:
                section += 1
                heading = " ".join(rnd.choices(topic, k=rnd.randint(1, 3))).capitalize()
                parts.append(f"## {section}. {heading}")
            roll = rnd.random()
            if roll < 0.08 and "```" not in "".join(parts):
                block = CODE.format(
                    name=f"pick_{rnd.choice(topic)}",
                    limit=rnd.randint(2, 9),
                    word=rnd.choice(topic),
                )
                parts.append(block)
                words += 30
            elif roll < 0.2:
                items = [f"- {self._sentence(rnd, topic)}" for _ in range(rnd.randint(3, 5))]
                parts.append("\n".join(items))
                words += sum(len(item.split()) for item in items)
            else:
                paragraph = self._paragraph(rnd, topic, link=rnd.random() < 0.35)
                parts.append(paragraph)
                words += len(paragraph.split())
        if index % 30 == 0:
            parts.append("## 中文说明\n\n" + "".join(rnd.sample(CHINESE, 3)))
        return "\n\n".join(parts) + "\n"

    def next_revision(self, body: str, index: int, number: int) -> str:
        """An edit: one paragraph reworded, and every other time a paragraph added."""
        rnd = random.Random(index * 10 + number)
        topic = _topic(index)
        blocks = body.rstrip("\n").split("\n\n")
        prose = [i for i, block in enumerate(blocks) if block[:1].isalpha()]
        if prose:
            blocks[rnd.choice(prose)] = self._paragraph(rnd, topic, link=False)
        if number % 2 == 0:
            blocks.append(self._paragraph(rnd, topic, link=rnd.random() < 0.5))
        return "\n\n".join(blocks) + "\n"


def _titles(count: int) -> list[str]:
    rnd = random.Random(11)
    kinds = ["runbook", "guide", "notes", "design", "FAQ", "checklist", "overview", "decision"]
    titles = []
    for index in range(count):
        topic = _topic(index)
        if index % (count // AREAS or 1) == 0:
            titles.append(f"Area {index // (count // AREAS or 1):03d} {topic[0]}")
        else:
            words = " ".join(topic[:2]).capitalize()
            titles.append(f"{words} {rnd.choice(kinds)} {index:05d}")
    return titles


# --- Building ----------------------------------------------------------------------------------


def _build(pages: int) -> None:
    """Create the users, the space and its pages, revisions, links, tags and search rows."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from wiki import services
    from wiki.models import Page, PageLink, Revision
    from wiki.rendering import ResolvedLink, WikiLink, render_markdown
    from wiki.selectors.rendering import new_page_url, page_url
    from wiki.services.indexing import _index, _toc_entries
    from wiki.text import slug_for_title

    started = time.perf_counter()
    User = get_user_model()
    admin = User.objects.create_user(username="bench-admin")
    editor = User.objects.create_user(username="bench-editor")
    space = services.create_space(name="Bench", key=SPACE_KEY, by=admin)
    services.set_space_role(space=space, by=admin, role="editor", user=editor)

    titles = _titles(pages)
    per_area = pages // AREAS or 1
    rows: list[Page] = []
    for index, title in enumerate(titles):
        slug = slug_for_title(title)
        top = index % per_area == 0
        parent = None if top else rows[index - index % per_area]
        rows.append(
            Page(
                space=space,
                parent=parent,
                title=title,
                slug=slug,
                path=slug if top else f"{parent.path}/{slug}",
                created_by=admin,
                review_by=timezone.localdate() - timedelta(days=3) if index % 50 == 7 else None,
            )
        )
    with transaction.atomic():
        tops = Page.objects.bulk_create([row for row in rows if row.parent is None])
        for row in rows:
            row.parent_id = row.parent.pk if row.parent is not None else None
        Page.objects.bulk_create([row for row in rows if row.parent is not None], batch_size=1000)
    assert len(tops) == min(AREAS, pages)
    by_title = {row.title.lower(): row for row in rows}

    def resolve(link: WikiLink) -> ResolvedLink:
        # The same decision as render_body, from an in-memory title map.
        target = by_title.get(link.title.lower()) if link.space_key in (None, SPACE_KEY) else None
        if target is not None:
            return ResolvedLink(url=page_url(target), exists=True)
        return ResolvedLink(url=new_page_url(link.space_key or SPACE_KEY, link.title), exists=False)

    maker = TextMaker(titles)
    Owners = Page.owners.through
    Tags = Page.tags.through
    from wiki.models import Tag

    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    for start in range(0, pages, BATCH):
        batch = rows[start : start + BATCH]
        bodies = {row.pk: [maker.first_revision(start + n)] for n, row in enumerate(batch)}
        for n, row in enumerate(batch):
            for number in range(2, REVISIONS + 1):
                bodies[row.pk].append(maker.next_revision(bodies[row.pk][-1], start + n, number))
        with transaction.atomic():
            previous: dict[int, int | None] = {row.pk: None for row in batch}
            links = []
            for number in range(1, REVISIONS + 1):
                revisions = []
                for row in batch:
                    rendered = render_markdown(bodies[row.pk][number - 1], resolve_link=resolve)
                    revisions.append(
                        Revision(
                            page=row,
                            number=number,
                            body=bodies[row.pk][number - 1],
                            summary="Created page" if number == 1 else f"Edit {number}",
                            author=admin if number % 2 else editor,
                            base_revision_id=previous[row.pk],
                            rendered_html=rendered.html,
                            toc=_toc_entries(rendered),
                        )
                    )
                    if number == REVISIONS:
                        seen = set()
                        for link in rendered.links:
                            key = (link.space_key or SPACE_KEY, link.title.lower())
                            if key in seen:
                                continue
                            seen.add(key)
                            target = by_title.get(key[1]) if key[0] == SPACE_KEY else None
                            links.append(
                                PageLink(
                                    from_page=row,
                                    to_page=target,
                                    to_space_key=key[0],
                                    to_title=link.title,
                                )
                            )
                Revision.objects.bulk_create(revisions)
                for revision in revisions:
                    previous[revision.page_id] = revision.pk
                    revision.page.current_revision = revision
            for row in batch:
                row.search_text = f"{row.title}\n{bodies[row.pk][-1]}"
                row.updated_at = row.current_revision.created_at
            Page.objects.bulk_update(batch, ["current_revision", "search_text", "updated_at"])
            PageLink.objects.bulk_create(links)
            Owners.objects.bulk_create([Owners(page_id=row.pk, user_id=editor.pk) for row in batch])
            Tags.objects.bulk_create(
                [
                    Tags(page_id=row.pk, tag_id=tags[(row.pk * 7 + k) % len(tags)].pk)
                    for row in batch
                    for k in range(1 + row.pk % 2)
                ]
            )
            for row in batch:
                # The services' own indexing (one UPDATE a page, as a save does), so the
                # search columns are exactly theirs.
                _index(row, bodies[row.pk][-1])
        done = min(start + BATCH, pages)
        elapsed = time.perf_counter() - started
        print(f"built {done}/{pages} pages in {elapsed:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _check_against_services(rows[:: max(pages // 5, 1)][:5])
    print(f"build done in {time.perf_counter() - started:.0f} s", flush=True)


def _check_against_services(sample: list) -> None:
    """Fail loudly if the bulk rows differ from what the services write for the same text."""
    from django.db import connection

    from wiki.models import Page, PageLink
    from wiki.selectors.rendering import render_body
    from wiki.services.indexing import _index, _sync_links, _toc_entries

    for row in sample:
        page = Page.objects.select_related("space", "current_revision__author").get(pk=row.pk)
        revision = page.current_revision
        rendered, _targets = render_body(
            space=page.space, body=revision.body, viewer=revision.author
        )
        if rendered.html != revision.rendered_html:
            raise SystemExit(f"page {page.pk}: bulk rendered_html differs from the services'")
        if _toc_entries(rendered) != revision.toc:
            raise SystemExit(f"page {page.pk}: bulk toc differs from the services'")
        links_before = sorted(
            PageLink.objects.filter(from_page=page).values_list("to_title", "to_page_id")
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT wiki_page::text FROM wiki_page WHERE id = %s", [page.pk])
            vector_before = cursor.fetchone()[0]
            _index(page, revision.body)
            _sync_links(page, rendered.links, _targets)
            cursor.execute("SELECT wiki_page::text FROM wiki_page WHERE id = %s", [page.pk])
            vector_after = cursor.fetchone()[0]
        links_after = sorted(
            PageLink.objects.filter(from_page=page).values_list("to_title", "to_page_id")
        )
        if vector_before != vector_after or links_before != links_after:
            raise SystemExit(f"page {page.pk}: bulk page row (search columns) or links differ")
    print(f"checked {len(sample)} pages against the services: identical", flush=True)


def _prepare(rebuild: bool, pages: int) -> None:
    from django.core.management import call_command

    from wiki.models import Page, Space

    call_command("migrate", verbosity=0)
    space = Space.objects.filter(key=SPACE_KEY).first()
    have = Page.objects.filter(space=space).count() if space else 0
    if space is not None and have == pages and not rebuild:
        print(f"reusing {have} pages (--rebuild to start over)")
        return
    if space is not None or rebuild:
        print("emptying the benchmark database", flush=True)
        call_command("flush", interactive=False, verbosity=0)
    _build(pages)


# --- Measuring ---------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _count_queries(call: Callable[[], object]) -> int:
    """SQL statements one request runs (CaptureQueriesContext loses them: every request
    starts by resetting the connection's query log)."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        call()
    return count


def _measure(
    name: str, requests: int, call: Callable[[int], object], warmup: int
) -> dict[str, float]:
    """Time ``call(i)`` ``requests`` times after ``warmup`` calls; count one call's queries."""
    for i in range(warmup):
        call(10_000 + i)
    queries = _count_queries(lambda: call(20_000))
    times, cpu = [], []
    for i in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(i)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return _report(name, times, cpu, queries)


def _report(
    name: str,
    times: list[float],
    cpu: list[float] | None,
    queries: int = 0,
    server_cpu: float | None = None,
) -> dict[str, float]:
    """Print one operation's figures; CPU time is this process's alone (not the database's),
    which tells Python work from waiting on PostgreSQL or on a busy machine. Over HTTP,
    ``server_cpu`` is the gunicorn processes' CPU per request (ms), for the same reason."""
    figures = {
        "p50": _percentile(times, 0.5),
        "p95": _percentile(times, 0.95),
        "mean": statistics.fmean(times),
    }
    line = (
        f"{name:8s} p50 {figures['p50']:7.1f} ms  p95 {figures['p95']:7.1f} ms  "
        f"mean {figures['mean']:7.1f} ms"
    )
    if cpu is not None:  # in-process only: over HTTP the work is in the server's processes
        figures.update(cpu_p50=_percentile(cpu, 0.5), queries=queries)
        line += f"  python cpu p50 {figures['cpu_p50']:6.1f} ms  {queries} queries/request"
    if server_cpu is not None:
        figures["server_cpu"] = server_cpu
        line += f"  server cpu {server_cpu:6.1f} ms/request"
    print(line, flush=True)
    return figures


def _run(requests: int) -> dict[str, float]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from wiki.models import Page

    admin = get_user_model().objects.get(username="bench-admin")
    client = Client(SERVER_NAME="localhost")
    client.force_login(admin)
    pages = list(
        Page.objects.filter(space__key=SPACE_KEY, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "path")
    )

    def pick(i: int) -> tuple[int, str]:
        return pages[random.Random(i * 7919).randrange(len(pages))]

    def expect(response, status: int = 200):  # noqa: ANN001, ANN202
        if response.status_code != status:
            raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}")
        return response

    def view(i: int) -> None:
        _pk, path = pick(i)
        expect(client.get(reverse("wiki:page-view", kwargs={"key": SPACE_KEY, "path": path})))

    def history(i: int) -> None:
        _pk, path = pick(i)
        expect(client.get(reverse("wiki:page-history", kwargs={"key": SPACE_KEY, "path": path})))

    def diff(i: int) -> None:
        _pk, path = pick(i)
        url = reverse("wiki:page-diff", kwargs={"key": SPACE_KEY, "path": path})
        expect(client.get(url, {"from": REVISIONS - 1, "to": REVISIONS}))

    def search(i: int) -> None:
        expect(client.get(reverse("wiki:search"), {"q": SEARCHES[i % len(SEARCHES)]}))

    results = {
        "view": _measure("view", requests, view, warmup=30),
        "history": _measure("history", requests, history, warmup=30),
        "diff": _measure("diff", requests, diff, warmup=30),
        "search": _measure("search", requests, search, warmup=len(SEARCHES)),
    }
    results["save"] = _measure_save(requests, client, pages, set(), random.Random(3))
    return results


def _measure_save(requests: int, client, pages: list, saved: set, rnd: random.Random) -> dict:  # noqa: ANN001
    """Time only the PUT (the GET that fetches the text and ETag is not counted)."""
    from django.urls import reverse

    def prepare() -> tuple[str, str, str]:
        pk = pages[rnd.randrange(len(pages))][0]
        while pk in saved:
            pk = pages[rnd.randrange(len(pages))][0]
        saved.add(pk)
        url = reverse("api:wiki:page-detail", kwargs={"page_id": pk})
        current = client.get(url)
        body = current.json()["body"] + "\nBenchmark edit.\n"
        return url, body, current["ETag"]

    def put(url: str, body: str, etag: str) -> None:
        response = client.put(
            url,
            json.dumps({"body": body, "summary": "bench"}),
            content_type="application/json",
            headers={"If-Match": etag},
        )
        if response.status_code != 200:
            raise SystemExit(f"save {url}: {response.status_code} {response.content[:200]!r}")

    for _ in range(10):
        put(*prepare())
    args = prepare()
    queries = _count_queries(lambda: put(*args))
    times, cpu = [], []
    for _ in range(requests):
        args = prepare()
        started, started_cpu = time.perf_counter(), time.process_time()
        put(*args)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return _report("save", times, cpu, queries)


# --- Over HTTP -----------------------------------------------------------------------------


class _HttpClient:
    """One keep-alive connection to the bench server, with the signed-in cookie and token."""

    def __init__(self, port: int, cookie: str, token: str) -> None:
        import http.client

        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie
        self.token = token

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, dict]:
        sent = {"Cookie": self.cookie, "Host": "localhost", **(headers or {})}
        if path.startswith("/api/"):
            sent = {"Authorization": f"Token {self.token}", "Host": "localhost", **(headers or {})}
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        data = response.read()
        if response.status not in (200, 304):
            raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
        # Header names as sent (gunicorn keeps their case, uvicorn lowers it): by lower case.
        return response.status, data, {name.lower(): v for name, v in response.getheaders()}


ASGI_APP = "config.asgi:application"


def _serve(database: str, port: int, app: str = ASGI_APP) -> subprocess.Popen:
    """gunicorn as scripts/serve.sh starts it, on the benchmark database.

    ``app`` is the application: the site's ASGI one under uvicorn workers, as ``make run``
    serves it, or a WSGI one under 4 threads per worker (``config.wsgi:application``, or
    the one ``bench/http_floor.py`` passes, which adds its trivial responses in front).
    """
    if "asgi" in app:
        server_args = ["--worker-class", "uvicorn_worker.UvicornWorker"]
    else:
        server_args = ["--threads", "4"]
    env = {**os.environ, "TACIT_DB_NAME": database, "DEBUG": "false", "PYTHONUNBUFFERED": "1"}
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(bin_dir / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            *server_args,
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def _server_cpu(server: subprocess.Popen) -> float | None:
    """CPU seconds gunicorn's master and workers have used so far (Linux ``/proc``), or None.

    On a machine shared with other work the response times move with its load; the
    server's own CPU per request moves far less, so it tells a change in the product from
    a busy machine.
    """
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        total = 0
        for pid in [server.pid, *map(int, children)]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, ValueError, IndexError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _per_request_ms(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    return (after - before) / requests * 1000


def _signed_in() -> tuple[str, str]:
    """A session cookie and an API token for the space's admin, as a login would give."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from rest_framework.authtoken.models import Token

    admin = get_user_model().objects.get(username="bench-admin")
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session.create()
    token, _created = Token.objects.get_or_create(user=admin)
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", token.key


def _concurrent(
    port: int,
    cookie: str,
    token: str,
    clients: int,
    seconds: float,
    path: Callable[[int], str],
    server: subprocess.Popen | None = None,
) -> dict[str, float]:
    """``clients`` threads, each on its own keep-alive connection, GET ``path(i)`` for
    ``seconds``; the responses per second they got together and the p50/p95 under that load."""
    import threading

    counts, latencies = [0] * clients, [[] for _ in range(clients)]
    stop_at = time.monotonic() + seconds

    def reader(number: int) -> None:
        own = _HttpClient(port, cookie, token)
        i = number * 1_000_003
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            own.request("GET", path(i))
            latencies[number].append((time.perf_counter() - started) * 1000)
            counts[number] += 1
            i += 1

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(clients)]
    cpu_before = _server_cpu(server) if server is not None else None
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    under_load = [value for values in latencies for value in values]
    figures = {
        "views_per_s": sum(counts) / elapsed,
        "p50": _percentile(under_load, 0.5),
        "p95": _percentile(under_load, 0.95),
    }
    if server is not None:
        figures["server_cpu"] = _per_request_ms(cpu_before, _server_cpu(server), sum(counts))
    return figures


def _run_http(
    database: str, requests: int, clients: int, seconds: float, app: str = ASGI_APP
) -> dict[str, float]:
    from urllib.parse import urlencode

    from django.urls import reverse

    from wiki.models import Page

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cookie, token = _signed_in()
    pages = list(
        Page.objects.filter(space__key=SPACE_KEY, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "path")
    )
    server = _serve(database, port, app)
    try:
        client = _HttpClient(port, cookie, token)

        def pick(i: int) -> tuple[int, str]:
            return pages[random.Random(i * 7919).randrange(len(pages))]

        def page_url(path: str, name: str = "wiki:page-view") -> str:
            return reverse(name, kwargs={"key": SPACE_KEY, "path": path})

        def search_url(i: int) -> str:
            return f"{reverse('wiki:search')}?{urlencode({'q': SEARCHES[i % len(SEARCHES)]})}"

        def timed(name: str, call: Callable[[int], object], warmup: int = 30) -> dict:
            for i in range(warmup):
                call(10_000 + i)
            times = []
            cpu_before = _server_cpu(server)
            for i in range(requests):
                started = time.perf_counter()
                call(i)
                times.append((time.perf_counter() - started) * 1000)
            server_cpu = _per_request_ms(cpu_before, _server_cpu(server), requests)
            return _report(name, times, None, server_cpu=server_cpu)

        results = {
            "view": timed("view", lambda i: client.request("GET", page_url(pick(i)[1]))),
            "history": timed(
                "history",
                lambda i: client.request("GET", page_url(pick(i)[1], "wiki:page-history")),
            ),
            "diff": timed(
                "diff",
                lambda i: client.request(
                    "GET",
                    page_url(pick(i)[1], "wiki:page-diff")
                    + "?"
                    + urlencode({"from": REVISIONS - 1, "to": REVISIONS}),
                ),
            ),
            # The diff alone, as htmx swaps it in (no page around it): what django-wiki's
            # history page fetches, as JSON, for its diff.
            "diff_fragment": timed(
                "diff fragment",
                lambda i: client.request(
                    "GET",
                    page_url(pick(i)[1], "wiki:page-diff")
                    + "?"
                    + urlencode({"from": REVISIONS - 1, "to": REVISIONS, "mode": "inline"}),
                    headers={"HX-Request": "true", "HX-Target": "diff"},
                ),
            ),
            "search": timed(
                "search",
                lambda i: client.request("GET", search_url(i)),
                warmup=len(SEARCHES),
            ),
        }
        rnd, saved = random.Random(3), set()

        def save(_i: int) -> None:
            pk = pages[rnd.randrange(len(pages))][0]
            while pk in saved:
                pk = pages[rnd.randrange(len(pages))][0]
            saved.add(pk)
            _status, data, headers = client.request("GET", f"/api/wiki/pages/{pk}/")
            body = json.loads(data)["body"] + "\nBenchmark edit.\n"
            payload = json.dumps({"body": body, "summary": "bench"}).encode()
            cpu_before = _server_cpu(server)
            started = time.perf_counter()
            client.request(
                "PUT",
                f"/api/wiki/pages/{pk}/",
                body=payload,
                headers={"Content-Type": "application/json", "If-Match": headers["etag"]},
            )
            save_times.append((time.perf_counter() - started) * 1000)
            cpu_after = _server_cpu(server)
            if cpu_before is not None and cpu_after is not None:
                save_cpu.append(cpu_after - cpu_before)

        save_times: list[float] = []
        save_cpu: list[float] = []
        for i in range(10):
            save(i)
        save_times.clear()
        save_cpu.clear()
        for i in range(requests):
            save(i)
        results["save"] = _report(
            "save",
            save_times,
            None,
            server_cpu=sum(save_cpu) / len(save_cpu) * 1000 if save_cpu else None,
        )

        # Concurrent readers: each client views random pages until the time is up.
        results["concurrent"] = _concurrent(
            port, cookie, token, clients, seconds, lambda i: page_url(pick(i)[1]), server
        )
        load = results["concurrent"]
        print(
            f"{clients} clients: {load['views_per_s']:.1f} views/s, "
            f"p50 {load['p50']:.1f} ms, p95 {load['p95']:.1f} ms"
            + (f", server cpu {load['server_cpu']:.1f} ms/view" if load.get("server_cpu") else ""),
            flush=True,
        )
        return results
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--pages", type=int, default=10_000, help="pages in the space")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per operation")
    parser.add_argument(
        "--database", default=DATABASE, help="database name (keep trial runs apart)"
    )
    parser.add_argument("--http", action="store_true", help="measure over loopback HTTP")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (--http)")
    parser.add_argument("--seconds", type=float, default=10, help="concurrent run (--http)")
    parser.add_argument(
        "--app",
        default=ASGI_APP,
        help="the application gunicorn serves (--http): the ASGI site as `make run` serves it, "
        "config.wsgi:application (4 threads per worker) or bench.asgi_django:application",
    )
    args = parser.parse_args()
    _setup_django(args.database)
    _prepare(args.rebuild, args.pages)
    if args.http:
        results = _run_http(args.database, args.requests, args.clients, args.seconds, args.app)
    else:
        results = _run(args.requests)
    summary = {
        "view_p50_ms": round(results["view"]["p50"], 1),
        "view_p95_ms": round(results["view"]["p95"], 1),
        "history_p50_ms": round(results["history"]["p50"], 1),
        "diff_p50_ms": round(results["diff"]["p50"], 1),
        "save_p50_ms": round(results["save"]["p50"], 1),
        "search_p50_ms": round(results["search"]["p50"], 1),
        "search_p95_ms": round(results["search"]["p95"], 1),
    }
    if args.http:
        summary["mode"] = "http"
        summary[f"views_per_s_{args.clients}_clients"] = round(
            results["concurrent"]["views_per_s"], 1
        )
        summary["concurrent_view_p50_ms"] = round(results["concurrent"]["p50"], 1)
        summary["diff_fragment_p50_ms"] = round(results["diff_fragment"]["p50"], 1)
        for name in ("view", "diff", "save", "concurrent"):
            if results[name].get("server_cpu") is not None:
                summary[f"{name}_server_cpu_ms"] = round(results[name]["server_cpu"], 2)
    else:
        for name in ("view", "diff", "save"):
            summary[f"{name}_cpu_p50_ms"] = round(results[name]["cpu_p50"], 2)
            summary[f"{name}_queries"] = results[name]["queries"]
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
