"""Write a space to a zip of Markdown files and attachments, as its admin would from the API."""

import shutil
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from wiki import space_archive
from wiki.errors import WikiPermissionError
from wiki.selectors.spaces import get_space_for_user


class Command(BaseCommand):
    help = "Export a space as a zip of Markdown files (with front matter) and attachments."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", help="The space's key.")
        parser.add_argument("output", help="Where to write the zip.")
        parser.add_argument("--by", required=True, help="Username of a space admin.")

    def handle(self, *args: object, **options: str) -> None:
        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['by']!r}.")
        try:
            space = get_space_for_user(user=user, key=options["key"])
            archive = space_archive.export_space_archive(space=space, by=user)
        except Http404 as error:
            raise CommandError(
                f"{options['by']} cannot read a space {options['key']!r}."
            ) from error
        except WikiPermissionError as error:
            raise CommandError(str(error)) from error
        output = Path(options["output"])
        with archive, output.open("wb") as target:
            shutil.copyfileobj(archive, target)
        self.stdout.write(f"Wrote {output} ({output.stat().st_size} bytes).")
