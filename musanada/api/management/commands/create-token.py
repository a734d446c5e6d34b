"""`musanada create-token USERNAME [--name N]`: issue a personal API token and print it (shown once)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from musanada.api import services
from musanada.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue a personal API token for a user and print it. Only its hash is stored: keep it now."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            token, value = services.token_create(user, name=name)
        except DomainError as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(value)
        self.stderr.write(
            f"Token {token.prefix}… “{token.name}” for {user.username}: it will not be shown again."
        )
