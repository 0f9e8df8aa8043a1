import secrets
from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from dreamsite.commands import ProductCommand

PASSWORD_FILENAME = "admin-password"  # noqa: S105 - a file name, not a password


class Command(ProductCommand):
    help = (
        "Create the first admin account when none exists, so a fresh install can be used at "
        "once. The generated password is kept in var/admin-password."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, username: str, **options: object) -> None:
        users = get_user_model()
        password_file = Path(settings.VAR_DIR) / PASSWORD_FILENAME
        if users.objects.filter(is_superuser=True).exists():
            if password_file.exists():
                self.stdout.write(
                    f"Admin login: {username} / {password_file.read_text().strip()} "
                    "(change it in the admin; delete var/admin-password afterwards)"
                )
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.touch(mode=0o600)
        password_file.write_text(password)
        self.stdout.write(
            self.style.SUCCESS(f"Created the admin account. Admin login: {username} / {password}")
        )
