"""Write Massar-like export files (units.csv, staff.csv) for benchmarks: the generator's schools and names.

    SECRET_KEY=x .venv/bin/python scripts/massar_export.py --schools 18000 --staff 300000 --out /tmp/export

Needs only the national tree's province codes (musanada/data/org-national.csv), not a database.
"""

import argparse
import csv
import os
import random
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musanada.config.settings")
import django  # noqa: E402

django.setup()

from musanada.demo.population import (  # noqa: E402
    DEFAULT_SEED,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    plan_schools,
)

NATIONAL_TREE = Path(__file__).resolve().parent.parent / "musanada" / "data" / "org-national.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=18_000)
    parser.add_argument("--staff", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with NATIONAL_TREE.open(encoding="utf-8") as handle:
        codes = sorted(row["code"] for row in csv.DictReader(handle) if row["kind"] == "province")
    # plan_schools only keeps the province it is given: its code is all an export needs.
    schools = plan_schools(args.schools, args.staff, args.seed, list(enumerate(codes, start=1)))
    with (args.out / "units.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gresa_code", "province_code", "name_ar", "name_fr", "active"])
        for school in schools:
            writer.writerow([school.code, school.province, school.name_ar, school.name_fr, "true"])
    rng = random.Random(args.seed)
    number = 0
    with (args.out / "staff.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["massar_id", "first_name", "last_name", "email", "unit_code", "role", "language"])
        for school in schools:
            for n in range(school.staff + 1):
                number += 1
                massar_id = f"B{number:08d}"
                first = rng.choice(FEMALE_FIRST_NAMES if rng.random() < 0.5 else MALE_FIRST_NAMES)
                email = f"{massar_id.lower()}@taalim.ma"
                role = "agent" if n == 0 else "staff"
                writer.writerow([massar_id, first, rng.choice(LAST_NAMES), email, school.code, role, "ar"])
    print(f"{len(schools)} schools, {number} staff written to {args.out}")


if __name__ == "__main__":
    main()
