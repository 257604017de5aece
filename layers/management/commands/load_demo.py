"""manage.py load_demo: (re)load the deterministic demo district, its providers, contracts and demo accounts."""
import time

from django.core.management.base import BaseCommand, CommandError

from layers.demo.accounts import demo_password
from layers.demo.city import SCALES, generate_city
from layers.demo.load import DemoExists, load_city
from layers.models import Estate
from layers.security.audit import record_command


class Command(BaseCommand):
    help = "Load the demo city (Acheng-like district, EPSG:4490); replaces existing demo data unless --keep."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="small",
                            help="small (tests, ~300 estates), medium (~10,000), large (~50,000)")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same city")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any estate exists")
        parser.add_argument("--keep", action="store_true",
                            help="do not delete existing data first (refuses if the demo district is already loaded)")

    def handle(self, *args, scale, seed, if_empty, keep, verbosity, **options):
        say = self.stdout.write if verbosity >= 1 else (lambda message: None)
        detail = self.stdout.write if verbosity >= 2 else None
        if if_empty and Estate.objects.exists():
            say("Estates exist already; --if-empty: nothing loaded.")
            return
        started = time.perf_counter()
        city = generate_city(scale=scale, seed=seed)
        generated = time.perf_counter()
        say(f"Generated the {scale} demo city (seed {seed}) in {generated - started:.1f} s; writing…")
        try:
            counts = load_city(city, keep=keep, log=detail)
        except DemoExists as exc:
            raise CommandError(str(exc)) from None
        finished = time.perf_counter()
        record_command("load_demo", f"{scale} demo city, seed {seed}" + (" (kept existing data)" if keep else "")
                       + ": " + ", ".join(f"{count} {name}" for name, count in counts.items()))
        for name, count in counts.items():
            say(f"  {name:>26}: {count:,}")
        say(self.style.SUCCESS(
            f"Loaded in {finished - started:.1f} s (generate {generated - started:.1f} s, write {finished - generated:.1f} s)."
        ))
        streets = ", ".join(f"street-{s.code}" for s in city.streets)
        say(f"Demo accounts: admin (administrator), planner, official, {streets} (street offices); "
            f"password: {demo_password()}")
