from django.core.management.base import BaseCommand, CommandError

from musanada.core.errors import DomainError
from musanada.demo.people import DEMO_PASSWORD
from musanada.demo.population import DEFAULT_SEED, NATIONAL_SCHOOLS, NATIONAL_STAFF, generate_population
from musanada.demo.tickets import generate_tickets


class Command(BaseCommand):
    help = (
        "Generate schools, heads, staff and desk agents under the national tree (run load-org first), and "
        "tickets filed by the generated staff. Deterministic for a seed: a rerun skips what exists. "
        f"The full national population is --schools {NATIONAL_SCHOOLS} --staff {NATIONAL_STAFF}."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=0, help="number of schools to have")
        parser.add_argument("--staff", type=int, default=0, help="number of school staff (besides the heads)")
        parser.add_argument("--tickets", type=int, default=0, help="number of generated tickets to have")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--academy",
            action="append",
            dest="academies",
            metavar="CODE",
            help="only under this academy (e.g. MA-01); repeat for several",
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="password of every generated account (default: the demo one)",
        )
        parser.add_argument(
            "--no-password", action="store_true", help="give the generated accounts an unusable password"
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        try:
            if options["schools"] or options["staff"]:
                self._population(options)
            if options["tickets"]:
                self._tickets(options)
        except DomainError as error:
            raise CommandError(str(error)) from error

    def _population(self, options):
        report = generate_population(
            schools=options["schools"],
            staff=options["staff"],
            seed=options["seed"],
            academies=options["academies"],
            password=None if options["no_password"] else options["password"],
            batch_size=options["batch_size"],
        )
        roles = ", ".join(f"{count} {role}" for role, count in sorted(report.by_role.items())) or "none"
        self.stdout.write(
            f"population: {report.schools} schools, {report.users} users, {report.memberships} memberships "
            f"created ({roles}); {report.skipped_schools} schools and {report.skipped_users} users existed "
            f"already; {report.seconds:.1f} s"
        )

    def _tickets(self, options):
        verbose = options["verbosity"] >= 2

        def progress(done, total):
            if verbose or done % 1000 == 0:
                self.stdout.write(f"  {done}/{total} tickets")

        report = generate_tickets(
            options["tickets"], seed=options["seed"], academies=options["academies"], progress=progress
        )
        outcomes = ", ".join(f"{key} {count}" for key, count in sorted(report.by_outcome.items()))
        self.stdout.write(
            f"tickets: {report.created} filed ({report.existing} existed already), {report.actions} actions, "
            f"{report.seconds:.1f} s, {report.per_ticket_ms:.1f} ms per ticket"
            + (f"\n  by level/status: {outcomes}" if outcomes else "")
        )
