#!/usr/bin/env python3
"""Writes N generated contacts as CSV shaped like a real CRM export, deterministic: first
and last name, phone, email, gender, birth date, stage, 0 to 3 tags and two custom
attributes (city, country) on every row.

Usage: gen_contacts.py N > contacts.csv
"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(42)
out = sys.stdout
out.write("firstName,lastName,phoneNumber,email,gender,birthDate,contactStage,tags,city,country\n")
first = ["Asha", "Rahul", "Priya", "Arjun", "Meera", "Vikram", "Ananya", "Rohan", "Kavya", "Aditya",
         "Sara", "Omar", "Lena", "Diego", "Mei", "Tomas", "Amara", "Noah", "Fatima", "Lucas",
         "Wanjiru", "Kofi", "Aisha", "Juan", "Olga", "Hiroshi", "Nadia", "Pedro", "Grace", "Ivan"]
last = ["Rao", "Sharma", "Iyer", "Patel", "Nair", "Gupta", "Reddy", "Singh", "Das", "Menon",
        "Khan", "Silva", "Okafor", "Muller", "Chen", "Garcia", "Haddad", "Kowalski", "Tanaka",
        "Smith", "Otieno", "Mensah", "Kamau", "Novak", "Rossi", "Dubois", "Ali", "Park", "Kim", "Lee"]
genders = ["Male", "Female", "Other"]
stages = ["Lead", "Subscriber", "Customer", "Churned"]
tags = ["vip", "newsletter", "wholesale", "returning", "first-order", "diwali-2026", "feedback",
        "loyalty", "abandoned-cart", "referral", "b2b", "sample-request", "black-friday",
        "webinar", "trial", "partner"]
countries = ["India", "Kenya", "Nigeria", "Ghana", "Brazil", "Mexico", "Indonesia", "Spain",
             "Germany", "Egypt", "Philippines", "Vietnam", "Turkey", "Colombia", "Peru", "Poland"]
cities = [f"City{i}" for i in range(300)]
# US numbers in three area codes, unique per row and in no order (as a real export's are):
# row i takes number (i * P) mod 24,000,000, P prime to it.
areas, span, step = [415, 628, 650], 8_000_000, 7_777_777
for i in range(n):
    k = i * step % (3 * span)
    f, l = rng.choice(first), rng.choice(last)
    year, month, day = rng.randrange(1950, 2008), rng.randrange(1, 13), rng.randrange(1, 29)
    picked = ";".join(rng.sample(tags, rng.randrange(4)))
    out.write(
        f"{f},{l},+1{areas[k // span]}{2000000 + k % span:07d},{f.lower()}.{l.lower()}{i}@example.com,"
        f"{genders[rng.randrange(3)]},{year:04d}-{month:02d}-{day:02d},{rng.choice(stages)},"
        f"{picked},{rng.choice(cities)},{rng.choice(countries)}\n"
    )
