#!/usr/bin/env python3
"""Writes N generated contacts as CSV with every field segments filter on, deterministic:
phone, email, gender, contactStage, birthDate, tags (2 of 40), and five custom attributes
(city, country, orders, member, plan).

Usage: gen_people.py N > people.csv
"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(7)
out = sys.stdout
out.write("phoneNumber,email,gender,contactStage,birthDate,tags,city,country,orders,member,plan\n")
genders = ["Male", "Female", "Other"]
stages = ["Lead", "Subscriber", "Customer", "Churned"]
countries = [f"Country{i}" for i in range(20)]
plans = ["free", "pro", "team"]
for i in range(n):
    year, month, day = rng.randrange(1950, 2008), rng.randrange(1, 13), rng.randrange(1, 29)
    out.write(
        f"+1415{2000000 + i:07d},u{i}@example.com,{genders[i % 3]},{rng.choice(stages)},"
        f"{year:04d}-{month:02d}-{day:02d},t{rng.randrange(20)};t{rng.randrange(20, 40)},"
        f"City{rng.randrange(200)},{rng.choice(countries)},{rng.randrange(100)},"
        f"{'true' if rng.random() < 0.5 else 'false'},{rng.choice(plans)}\n"
    )
