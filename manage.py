#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dreamsite.settings")
    from django.core.management import execute_from_command_line

    from dreamsite.commands import exit_if_unusable
    from dreamsite.refusals import SettingRefused

    try:
        execute_from_command_line(sys.argv)
    except SettingRefused as refusal:
        # The copy says what to change; a traceback would only bury it.
        sys.exit(f"Dreams did not start: {refusal}")
    except Exception as error:
        # The database, the disk or the configuration is not usable: one line that says
        # what to do (dreams/management/base.py), not a traceback.
        exit_if_unusable(error, sys.argv)
        raise


if __name__ == "__main__":
    main()
