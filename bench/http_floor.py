"""The floor under a page view over HTTP: what gunicorn, Django and base.html cost alone.

Usage::

    .venv/bin/python bench/http_floor.py --pages 2000 --database bench_wiki_2k

Starts gunicorn exactly as ``bench/wiki.py --http`` does (2 workers, 4 threads, DEBUG off)
but on ``bench/floor_wsgi.py``, which answers four trivial paths in front of the product,
and measures each the same way: ``--requests`` sequential requests on one keep-alive
connection (p50/p95 after a warm-up), then ``--clients`` clients for ``--seconds``
(responses per second and p50 under that load):

- ``raw``: answered before Django: gunicorn, loopback and the Python client alone;
- ``anonymous``: a two-byte response through the whole middleware stack, no cookie;
- ``signed-in``: the same behind ``login_required`` with the session cookie (session row
  and user loaded);
- ``base``: ``base.html`` rendered for that user with nothing else in the context;
- ``view``: the real page view of random pages of the benchmark space, for comparison.

The space is the one ``bench/wiki.py`` builds; pass the same ``--pages`` and ``--database``
(it is built first when missing). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench import wiki as bench_wiki  # noqa: E402

FLOORS = {
    "raw": "/bench/floor/raw",
    "anonymous": "/bench/floor/anonymous",
    "signed-in": "/bench/floor/signed-in",
    "base": "/bench/floor/base",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10_000, help="pages in the space")
    parser.add_argument("--database", default=bench_wiki.DATABASE, help="database name")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests each")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=8, help="concurrent run, each")
    args = parser.parse_args()
    bench_wiki._setup_django(args.database)
    bench_wiki._prepare(False, args.pages)

    from django.urls import reverse

    from wiki.models import Page

    pages = list(
        Page.objects.filter(space__key=bench_wiki.SPACE_KEY, deleted_at__isnull=True)
        .order_by("pk")
        .values_list("path", flat=True)
    )

    def page_path(i: int) -> str:
        path = pages[random.Random(i * 7919).randrange(len(pages))]
        return reverse("wiki:page-view", kwargs={"key": bench_wiki.SPACE_KEY, "path": path})

    targets = {name: (lambda _i, url=url: url) for name, url in FLOORS.items()}
    targets["view"] = page_path
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cookie, token = bench_wiki._signed_in()
    server = bench_wiki._serve(args.database, port, app="bench.floor_wsgi:application")
    summary: dict[str, float] = {}
    try:
        for name, path in targets.items():
            # The anonymous floors go without the cookie, as a first visit would.
            sent = cookie if name in ("signed-in", "base", "view") else "x=y"
            client = bench_wiki._HttpClient(port, sent, token)
            for i in range(30):
                status, _data, _headers = client.request("GET", path(10_000 + i))
                if status != 200:
                    raise SystemExit(f"{name}: {status}")
            times = []
            for i in range(args.requests):
                started = time.perf_counter()
                client.request("GET", path(i))
                times.append((time.perf_counter() - started) * 1000)
            sequential = bench_wiki._report(name, times, None)
            load = bench_wiki._concurrent(port, sent, token, args.clients, args.seconds, path)
            print(
                f"{'':8s} {args.clients} clients: {load['views_per_s']:7.1f} responses/s, "
                f"p50 {load['p50']:.1f} ms, p95 {load['p95']:.1f} ms",
                flush=True,
            )
            key = name.replace("-", "_")
            summary[f"{key}_p50_ms"] = round(sequential["p50"], 2)
            summary[f"{key}_per_s"] = round(load["views_per_s"], 1)
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
