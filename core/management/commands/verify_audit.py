from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from core.selectors import verify_audit_chain


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain in sequence order; print how many rows verified, "
        "or report the first broken link and exit with status 1."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="rows read per round trip (2000)"
        )

    def handle(self, *args: object, **options: object) -> None:
        result = verify_audit_chain(chunk_size=options["chunk_size"])
        if result.broken is not None:
            broken = result.broken
            problem = broken.problem.replace("_", " ")
            raise CommandError(
                f"The audit chain is broken at sequence {broken.sequence} "
                f"(row id {broken.event_id}), {problem}: {broken.message}. "
                f"Rows verified before it: {result.rows_verified}.",
                returncode=1,
            )
        self.stdout.write(
            f"Verified {result.rows_verified} audit rows: the chain is intact "
            f"(last sequence {result.last_sequence})."
        )
