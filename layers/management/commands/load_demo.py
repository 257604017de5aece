"""manage.py load_demo: (re)load the deterministic demo city (districts, providers, contracts) and demo accounts."""
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from layers.demo.accounts import demo_password
from layers.demo.city import DISTRICTS, SCALE_NAMES, generate_city
from layers.demo.load import DemoExists, load_city
from layers.models import Estate
from layers.security.audit import record_command


class Command(BaseCommand):
    help = ("Load the demo city (Harbin-like: districts of streets and communities, EPSG:4490); replaces existing "
            "demo data unless --keep.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALE_NAMES), default="small",
                            help="per district: small (tests, ~250 estates), medium (~10,000), large (~50,000); "
                                 "real: districts of real sizes (300-700 estates, 100,000-400,000 households each)")
        parser.add_argument("--districts", type=int, default=1, choices=range(1, len(DISTRICTS) + 1),
                            metavar=f"1-{len(DISTRICTS)}", help="how many districts the city has (default 1)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same city")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any estate exists")
        parser.add_argument("--keep", action="store_true",
                            help="do not delete existing data first (refuses if the demo district is already loaded)")

    def handle(self, *args, scale, seed, districts, if_empty, keep, verbosity, **options):
        say = self.stdout.write if verbosity >= 1 else (lambda message: None)
        detail = self.stdout.write if verbosity >= 2 else None
        if if_empty and Estate.objects.exists():
            say("Estates exist already; --if-empty: nothing loaded.")
            return
        started = time.perf_counter()
        city = generate_city(scale=scale, seed=seed, districts=districts)
        generated = time.perf_counter()
        say(f"Generated the {scale} demo city of {districts} district(s) (seed {seed}) in {generated - started:.1f} s; "
            "writing…")
        try:
            counts = load_city(city, keep=keep, log=detail)
        except DemoExists as exc:
            raise CommandError(str(exc)) from None
        if not connection.in_atomic_block:
            # Bulk-loaded tables: their visibility map set, so the coverage figures read the covering indexes
            # of estates and buildings without visiting the tables (VACUUM runs outside a transaction only).
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE) layers_estate, layers_building, layers_servicecontract, "
                               "layers_abandonmentreport, layers_abandonmentevent, layers_renovationproject")
        finished = time.perf_counter()
        record_command("load_demo", f"{scale} demo city, {districts} district(s), seed {seed}" + (" (kept existing data)" if keep else "")
                       + ": " + ", ".join(f"{count} {name}" for name, count in counts.items()))
        for name, count in counts.items():
            say(f"  {name:>26}: {count:,}")
        say(self.style.SUCCESS(
            f"Loaded in {finished - started:.1f} s (generate {generated - started:.1f} s, write {finished - generated:.1f} s)."
        ))
        codes = [d.code for d in city.districts]
        say(f"Demo accounts: admin (system administrator), city (city official), planner and official (district "
            f"{codes[0]}), " + ", ".join(f"planner-{c}, official-{c}" for c in codes)
            + f", street-<street code> for {len(city.streets)} streets (street offices), community-<community code> "
            f"for each street's first community, enterprise-<enterprise id> for a few enterprises; "
            f"password: {demo_password()}")
