from django.core.management.base import BaseCommand

from core.services import seed_demo_workspace


class Command(BaseCommand):
    help = "Create the demo login, team and wiki content once (a second run adds nothing)."

    def handle(self, *args: object, **options: object) -> None:
        workspace = seed_demo_workspace()
        verb = "Created" if workspace.created else "Found"
        self.stdout.write(f"{verb} the demo workspace (team {workspace.team.slug}).")
