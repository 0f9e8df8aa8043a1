#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dreamsite.settings")
    from django.core.management import execute_from_command_line

    from dreamsite.refusals import SettingRefused

    try:
        execute_from_command_line(sys.argv)
    except SettingRefused as refusal:
        # The copy says what to change; a traceback would only bury it.
        sys.exit(f"Dreams did not start: {refusal}")


if __name__ == "__main__":
    main()
