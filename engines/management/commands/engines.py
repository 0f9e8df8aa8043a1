from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from dreamsite.commands import ProductCommand
from engines.models import SelectionSource
from engines.readiness import all_engine_readiness
from engines.selection import EngineSelectionError, engine_select, selected_engine
from engines.services import engine_probe


class Command(ProductCommand):
    help = "List engines with their readiness, select one, or probe one with a live call."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action")
        actions.add_parser("list", help="Every engine, its readiness and how to enable it.")
        select = actions.add_parser("select", help="Select the engine everything uses.")
        select.add_argument("engine")
        select.add_argument("--model", default="", help="A model name for this engine.")
        select.add_argument(
            "--allow-not-ready",
            action="store_true",
            help="Select it even though it is not ready yet.",
        )
        probe = actions.add_parser("probe", help="Ask an engine something, with a short timeout.")
        probe.add_argument("engine", nargs="?", help="Default: the selected engine.")

    def handle(self, *args: object, action: str | None = None, **options: Any) -> None:
        if action == "select":
            self._select(**options)
        elif action == "probe":
            self._probe(options.get("engine"))
        else:
            self._list()

    def _list(self) -> None:
        selection = selected_engine()
        for readiness in all_engine_readiness():
            marker = "*" if readiness.engine == selection.engine else " "
            state = readiness.label
            style = self.style.SUCCESS if readiness.ready else self.style.WARNING
            self.stdout.write(
                f"{marker} {readiness.engine:<11} {style(state):<20} {readiness.engine_label}"
            )
            if readiness.fix_hint:
                self.stdout.write(f"    {readiness.fix_hint}")
            self.stdout.write(f"    {readiness.disclosure}")
        self.stdout.write("")
        status = "ready" if selection.ready else f"NOT READY: {selection.readiness.fix_hint}"
        model = f", model {selection.model}" if selection.model else ""
        self.stdout.write(f"Selected: {selection.engine}{model} ({status})")

    def _select(self, *, engine: str, model: str, allow_not_ready: bool, **options: object) -> None:
        try:
            selection = engine_select(
                engine=engine,
                model=model,
                source=SelectionSource.CLI,
                actor="manage.py",
                allow_not_ready=allow_not_ready,
            )
        except EngineSelectionError as error:
            hint = f" {error.fix_hint}" if error.fix_hint else ""
            raise CommandError(f"{error.message}{hint}", returncode=2) from None
        self.stdout.write(self.style.SUCCESS(f"Selected {selection.engine}."))
        if not selection.ready:
            self.stdout.write(
                self.style.WARNING(f"It is not ready: {selection.readiness.fix_hint}")
            )

    def _probe(self, engine: str | None) -> None:
        outcome = engine_probe(engine=engine)
        if not outcome.ok:
            raise CommandError(f"{outcome.engine}: {outcome.message}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{outcome.engine}: {outcome.message}"))
