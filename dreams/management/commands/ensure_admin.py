import secrets
from argparse import ArgumentParser
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from dreamsite.commands import ProductCommand

PASSWORD_FILENAME = "admin-password"  # noqa: S105 - a file name, not a password


def shown_path(path: Path) -> str:
    """`path` as the operator would type it from the project's folder."""
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


class Command(ProductCommand):
    help = (
        "Create the first admin account when none exists, so a fresh install can be used at "
        "once. The generated password is printed once, when the account is created, and kept "
        "in var/admin-password until it is changed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, username: str, **options: object) -> None:
        users = get_user_model()
        password_file = Path(settings.VAR_DIR) / PASSWORD_FILENAME
        where = shown_path(password_file)
        admin = users.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is not None:
            self._exists(admin, password_file, where)
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.touch(mode=0o600)
        password_file.write_text(password)
        # The password is the last word printed: scripts read it from there.
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the admin account. This is the only time its password is printed; "
                f"it is also kept in {where} (readable by you alone) until you change it with "
                f"`python manage.py changepassword {username}`.\n"
                f"Admin login: {username} / {password}"
            )
        )

    def _exists(self, admin: AbstractBaseUser, password_file: Path, where: str) -> None:
        name = admin.get_username()
        reset = f"`python manage.py changepassword {name}`"
        if not password_file.exists():
            self.stdout.write(f"The admin account exists ({name}). To reset its password: {reset}.")
            return
        if admin.check_password(password_file.read_text().strip()):
            self.stdout.write(
                f"The admin account exists ({name}); its first password is in {where}. "
                f"Change it with {reset}."
            )
            return
        # The password was changed since: the file keeps a secret that opens nothing.
        password_file.unlink()
        self.stdout.write(
            f"The admin account exists ({name}). Its password was changed, so {where} was "
            f"removed. To reset the password: {reset}."
        )
