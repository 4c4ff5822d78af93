"""`manage.py dispatch_shipments [--by USERNAME]`: the central depot ships every request."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.context import acting_user
from randomization.management.commands._operator import operator
from randomization.models import Shipment
from randomization.services.supply import SupplyShortage, dispatch_shipment


class Command(BaseCommand):
    help = "Dispatch all requested shipments from the depot stock (equal kits per arm)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = operator(options["by"])
        with acting_user(user):
            for shipment in Shipment.objects.filter(status=Shipment.Status.REQUESTED):
                try:
                    dispatch_shipment(shipment, by=user)
                    self.stdout.write(f"{shipment.number}: dispatched")
                except SupplyShortage as exc:
                    self.stderr.write(f"{shipment.number}: {exc}")
