#!/usr/bin/env python3
"""Writes N generated contacts as CSV (phone, email, 2 tags, 3 attributes), deterministic.

Usage: gen_contacts.py N > contacts.csv
"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(42)
out = sys.stdout
out.write("phoneNumber,email,tags,city,orders,member\n")
cities = [f"City{i}" for i in range(200)]
# US numbers +1 415 2xx xxxx: unique per row, all possible numbers.
for i in range(n):
    phone = f"+1415{2000000 + i:07d}"
    t1, t2 = rng.randrange(20), rng.randrange(20, 40)
    out.write(f"{phone},u{i}@example.com,t{t1};t{t2},{rng.choice(cities)},{rng.randrange(100)},{'true' if i % 2 else 'false'}\n")
