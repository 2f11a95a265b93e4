"""A seeded generator of personal data in many formats, and of ordinary sentences that must pass.

Every checksum here is computed independently of the library the boundary uses (IBAN mod 97,
Luhn, NHS mod 11, DNI letter), so a detector that is wrong cannot agree with its own test data.
Numbers are drawn from reserved or fictional ranges where one exists (Ofcom drama numbers,
555-01xx) and otherwise at random: none is a real person's.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

FIRST = ["Samira", "Tomasz", "Aoife", "Kwame", "Ingrid", "Rahul", "Lucia", "Declan", "Mei", "Jonas"]
LAST = ["Okonkwo", "Lindqvist", "Fitzgerald", "Haddadi", "Brennan", "Kowalczyk", "Nakamura"]


def names(rng: random.Random, n: int = 12) -> list[str]:
    """Full names the data owner lists as restricted (a fixed, seeded roster)."""
    roster = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(60)})
    return roster[:n]


def _luhn_complete(digits: str) -> str:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        d = int(ch)
        if index % 2 == 0:  # these are doubled once the check digit is appended
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return digits + str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    kind = rng.choice(["visa", "mc", "amex"])
    if kind == "amex":
        raw = _luhn_complete(rng.choice(["34", "37"]) + "".join(rng.choices(string.digits, k=12)))
        return rng.choice([raw, f"{raw[:4]} {raw[4:10]} {raw[10:]}"])
    prefix = "4" if kind == "visa" else rng.choice(["51", "52", "55"])
    raw = _luhn_complete(prefix + "".join(rng.choices(string.digits, k=15 - len(prefix))))
    sep = rng.choice([" ", "-", ""])
    return sep.join(raw[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    country, bban_len = rng.choice([("GB", None), ("DE", 18), ("FR", 23), ("NL", None)])
    if country == "GB":
        bban = "".join(rng.choices(string.ascii_uppercase, k=4)) + "".join(
            rng.choices(string.digits, k=14)
        )
    elif country == "NL":
        bban = "".join(rng.choices(string.ascii_uppercase, k=4)) + "".join(
            rng.choices(string.digits, k=10)
        )
    elif country == "FR":
        # French BBANs carry their own RIB key; draw until the RIB key (mod 97) holds
        while True:
            bank, branch, account = ("".join(rng.choices(string.digits, k=k)) for k in (5, 5, 11))
            key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
            bban = f"{bank}{branch}{account}{key:02d}"
            if len(bban) == 23:
                break
    else:
        bban = "".join(rng.choices(string.digits, k=bban_len or 18))
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    check = 98 - int(numeric) % 97
    compact = f"{country}{check:02d}{bban}"
    if rng.random() < 0.5:
        return compact
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    digits = "".join(rng.choices(string.digits, k=6))
    suffix = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{first}{second}{digits}{suffix}"
    return f"{first}{second} {digits[:2]} {digits[2:4]} {digits[4:]} {suffix}"


def ssn(rng: random.Random) -> str:
    area = rng.randint(100, 599)  # never 000, 666 or 9xx
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nhs(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            raw = "".join(map(str, digits)) + str(check)
            return f"{raw[:3]} {raw[3:6]} {raw[6:]}"


def dni(rng: random.Random) -> str:
    number = rng.randint(10_000_000, 99_999_999)
    return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def email(rng: random.Random) -> str:
    user = rng.choice(FIRST).lower() + rng.choice([".", "_", ""]) + rng.choice(LAST).lower()
    return f"{user}{rng.randint(1, 99)}@{rng.choice(['example.com', 'mail.example.org'])}"


def phone_gb(rng: random.Random) -> str:
    tail = f"{rng.randint(0, 999):03d}"
    return rng.choice(
        [
            f"(020) 7946 0{tail}",
            f"020 7946 0{tail}",
            f"07700 900{tail}",
            f"0161 496 0{tail}",
            f"0117 496 0{tail}",
        ]
    )


def phone_us(rng: random.Random) -> str:
    area = rng.choice(["415", "212", "312", "617", "206"])
    tail = f"01{rng.randint(0, 99):02d}"
    return rng.choice(
        [
            f"({area}) 555-{tail}",
            f"{area}.555.{tail}",
            f"{area}-555-{tail}",
            f"+1 {area} 555 {tail}",
        ]
    )


def phone_international(rng: random.Random) -> str:
    tail = f"{rng.randint(0, 999):03d}"
    return rng.choice([f"0044 20 7946 0{tail}", f"+44 7700 900{tail}", f"+44 (0)20 7946 0{tail}"])


def salary(rng: random.Random) -> str:
    amount = f"£{rng.randint(18, 95)},{rng.randint(0, 9)}00"
    return rng.choice(
        [f"salary {amount}", f"my salary is {amount}", f"I earn {amount} a year", f"wage {amount}"]
    )


def health(rng: random.Random) -> str:
    condition = rng.choice(
        ["diabetes", "epilepsy", "depression", "cancer", "multiple sclerosis", "asthma"]
    )
    return rng.choice([f"I have {condition}", f"diagnosed with {condition}", f"my {condition}"])


FORMATS: dict[str, Callable[[random.Random], str]] = {
    "email": email,
    "phone (GB)": phone_gb,
    "phone (US)": phone_us,
    "phone (international)": phone_international,
    "payment card": card,
    "IBAN": iban,
    "UK NINO": nino,
    "US SSN": ssn,
    "UK NHS number": nhs,
    "Spanish DNI": dni,
    "salary": salary,
    "health": health,
}


def pii(rng: random.Random, roster: list[str]) -> tuple[str, str]:
    """One `(format, value)`; names come from the owner's roster."""
    kind = rng.choice([*FORMATS, "name"])
    if kind == "name":
        return kind, rng.choice(roster)
    return kind, FORMATS[kind](rng)


def ordinary(rng: random.Random) -> str:
    """A sentence full of dates, amounts, times, percentages and reference numbers."""
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2027)
    months = ["January", "March", "April", "June", "September", "November"]
    templates = [
        f"Policy HR-{rng.randint(1, 99):02d} v{rng.randint(1, 9)}.{rng.randint(0, 9)} took effect "
        f"on {day} {rng.choice(months)} {year}.",
        f"Claims up to £{rng.randint(1, 9)},{rng.randint(100, 999)} a year are paid within "
        f"{rng.randint(5, 30)} working days.",
        f"Order number {rng.randint(10_000_000, 99_999_999)} was shipped on "
        f"{year}-{month:02d}-{day:02d}.",
        f"Your policy number is PN-{year}-{rng.randint(100000, 999999)}; keep it for your records.",
        f"The office is open from 9:00 to 17:30, Monday to Friday, except on {day}/{month:02d}/{year}.",
        f"Employees receive {rng.randint(20, 30)} days of annual leave plus 8 bank holidays.",
        f"Pension contributions rise from {rng.randint(3, 5)}% to {rng.randint(6, 9)}% in {year}.",
        f"Expense reference EXP-{rng.randint(1000, 9999)} covers €{rng.randint(10, 900)}.{rng.randint(10, 99)} "
        f"of travel.",
        f"Invoice INV/{year}/{rng.randint(1000, 99999)} totals ${rng.randint(100, 9999)}.00 "
        f"including VAT at 20%.",
        f"Ticket #{rng.randint(100000, 999999)} was closed after {rng.randint(2, 48)} hours.",
        f"Section {rng.randint(1, 12)}.{rng.randint(1, 9)}.{rng.randint(1, 9)} sets the "
        f"allowance at £{rng.randint(10, 60)} a night.",
        f"Between {rng.randint(1, 12)} March and {rng.randint(13, 28)} April {year} the "
        f"mileage rate is {rng.randint(25, 45)}p per mile.",
        f"Batch {rng.randint(10, 99)}-{rng.randint(1000, 9999)} of {rng.randint(100, 900)} "
        f"forms was scanned in {rng.randint(3, 59)} minutes.",
        f"Account code {rng.randint(100000, 999999)} is used for training costs over £"
        f"{rng.randint(1, 5)},000.",
    ]
    return rng.choice(templates)
