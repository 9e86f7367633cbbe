"""Fill a new or empty space from a zip made by ``export_space`` (or the API's export)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.http import Http404

from wiki import space_archive
from wiki.errors import WikiError, WikiPermissionError
from wiki.selectors.spaces import get_space_for_user
from wiki.services.spaces import create_space


class Command(BaseCommand):
    help = "Import a space export zip into an empty space, or into a new one with --name."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The zip file.")
        parser.add_argument("key", help="The target space's key (created when --name is given).")
        parser.add_argument("--by", required=True, help="Username of the importing admin.")
        parser.add_argument("--name", help="Create a new private space with this name.")

    def handle(self, *args: object, **options: str) -> None:
        user = get_user_model().objects.filter(username=options["by"]).first()
        if user is None:
            raise CommandError(f"No user is called {options['by']!r}.")
        path = Path(options["archive"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            with transaction.atomic(), path.open("rb") as archive:
                if options["name"]:
                    space = create_space(name=options["name"], key=options["key"], by=user)
                else:
                    space = get_space_for_user(user=user, key=options["key"])
                report = space_archive.import_space_archive(
                    space=space, archive_file=archive, by=user
                )
        except Http404 as error:
            raise CommandError(
                f"{options['by']} cannot read a space {options['key']!r}."
            ) from error
        except (WikiError, WikiPermissionError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Imported {report.pages} pages and {report.attachments} attachments into {space.key}."
        )
        for line in report.skipped:
            self.stdout.write(f"  skipped: {line}")
