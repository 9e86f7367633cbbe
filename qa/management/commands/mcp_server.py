"""``manage.py mcp_server``: the assistant server over stdio, for one person's token."""

from __future__ import annotations

import logging
import os
import sys

import anyio
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qa.mcp.services import AssistantTokenError, authenticate_assistant_token


class Command(BaseCommand):
    help = (
        "Serve the team memory to an AI assistant over stdio (MCP). The token comes from "
        "TACIT_MCP_TOKEN (or --token): create one on your Tacit profile page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--token",
            help="An assistant token; prefer TACIT_MCP_TOKEN, since arguments show in ps.",
        )

    def handle(self, *args: object, **options: object) -> None:
        token = str(options.get("token") or os.environ.get("TACIT_MCP_TOKEN") or "").strip()
        try:
            user = authenticate_assistant_token(token)
        except AssistantTokenError as error:
            raise CommandError(str(error)) from error
        # stdout carries the protocol: everything else goes to stderr.
        logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
        sys.stderr.write(f"Tacit assistant server for {user.get_username()} on stdio.\n")
        from qa.mcp.server import build_server

        anyio.run(build_server(stdio_token=token).run_stdio_async)
