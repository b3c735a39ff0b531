"""Project-written training queries for the default router: everyday easy ones, and hard ones.

    python models/scripts/router_synthetic.py            # prints a sample of each

The development data (RouteLLM's MMLU responses, RouterArena sub_10) holds
almost no short conversational traffic, so a router trained on it alone never
learns that "What are your opening hours?" is easy. These templates and slot
lists were written for semroute (not taken from any data set or from
examples/sample_log) and are drawn by a seeded generator, so the training
script reproduces the same queries. Training data only: nothing here ships
in the package.

``easy_queries`` (label 0): FAQ, customer-support, account admin, small talk
and one-line lookups across banking, travel, software products, healthcare
admin, HR, retail, utilities and education admin. ``hard_queries`` (label 1):
proofs, multi-step maths, code writing/debugging, long analyses and
multi-constraint writing tasks.
"""

from __future__ import annotations

import random
import re

# -- easy: (domain, templates, slots) ----------------------------------------

_EASY_DOMAINS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "banking": (
        [
            "How do I {action} my {thing}?",
            "Can I {action} my {thing} online?",
            "What is the fee for {service}?",
            "Is there a charge for {service}?",
            "my {thing} is blocked",
            "How long does {service} take?",
            "What time does the {branch} branch open?",
            "Where can I find my {doc}?",
            "how to {action} {thing}",
            "Do you offer {product}?",
        ],
        {
            "action": ["activate", "freeze", "replace", "unlock", "update", "close", "order"],
            "thing": [
                "debit card",
                "credit card",
                "PIN",
                "savings account",
                "online banking login",
            ],
            "service": [
                "an international transfer",
                "a replacement card",
                "a cash withdrawal abroad",
                "a same-day payment",
                "a paper statement",
            ],
            "branch": ["High Street", "city centre", "airport", "Main Road"],
            "doc": ["IBAN", "sort code", "monthly statement", "account number", "tax certificate"],
            "product": ["student accounts", "joint accounts", "overdrafts", "savings bonds"],
        },
    ),
    "travel": (
        [
            "How much luggage can I take on {carrier}?",
            "Can I change the date of my {booking}?",
            "What time is check-in for {booking}s?",
            "Is breakfast included in my {booking}?",
            "How do I cancel my {booking}?",
            "Do I need a visa for {place}?",
            "Where do I collect my {item}?",
            "is my {booking} refundable",
            "Can I bring {item} on board?",
            "What is the baggage allowance for {carrier}?",
        ],
        {
            "carrier": ["economy flights", "the night bus", "the ferry", "a domestic flight"],
            "booking": ["hotel booking", "flight", "train ticket", "car hire", "room reservation"],
            "place": ["Japan", "Canada", "Brazil", "Morocco", "Iceland", "Thailand"],
            "item": ["boarding pass", "rental car keys", "a pushchair", "a bike", "my pet"],
        },
    ),
    "software": (
        [
            "How do I reset my {app} password?",
            "Where is the {setting} setting?",
            "How do I turn on {feature}?",
            "Does {app} work on {platform}?",
            "How do I cancel my {plan} subscription?",
            "Can I export my data from {app}?",
            "Why can't I log in to {app}?",
            "how to change {setting}",
            "Is there a {plan} plan for teams?",
            "How do I add a user to my {plan} account?",
        ],
        {
            "app": ["the app", "the dashboard", "the desktop client", "my account", "the portal"],
            "setting": ["notification", "language", "dark mode", "email address", "time zone"],
            "feature": [
                "two-factor authentication",
                "dark mode",
                "auto-save",
                "sync",
                "email alerts",
            ],
            "platform": ["Android", "iPad", "Linux", "a Chromebook", "older Macs"],
            "plan": ["Pro", "Basic", "Premium", "Family", "Business"],
        },
    ),
    "healthcare_admin": (
        [
            "How do I book an appointment with {who}?",
            "Can I reschedule my {visit}?",
            "What are the clinic's opening hours on {day}?",
            "Do I need a referral to see {who}?",
            "How do I order a repeat {doc}?",
            "Is there parking at the {site}?",
            "Can I get my {doc} by email?",
            "where do I send my {doc}",
            "Do you accept walk-ins on {day}?",
        ],
        {
            "who": ["a GP", "the nurse", "a physiotherapist", "the dentist", "a specialist"],
            "visit": ["appointment", "blood test", "check-up", "vaccination", "follow-up"],
            "day": ["Saturday", "Sunday", "bank holidays", "Monday", "Friday"],
            "doc": [
                "prescription",
                "test results",
                "sick note",
                "vaccination record",
                "insurance form",
            ],
            "site": ["hospital", "clinic", "health centre", "pharmacy"],
        },
    ),
    "hr": (
        [
            "How many days of {leave} do I get?",
            "Where do I submit my {form}?",
            "When is {event}?",
            "Who do I contact about {topic}?",
            "How do I update my {detail}?",
            "Can I work from home on {day}s?",
            "where is my {form}",
            "Is {event} this month?",
        ],
        {
            "leave": ["annual leave", "sick leave", "parental leave", "holiday"],
            "form": ["expense claim", "timesheet", "holiday request", "payslip", "P60"],
            "event": ["payday", "the staff party", "open enrolment", "the team meeting"],
            "topic": ["my pension", "payroll", "the parking permit", "a new laptop", "benefits"],
            "detail": ["bank details", "home address", "emergency contact", "tax code"],
            "day": ["Monday", "Friday", "Wednesday"],
        },
    ),
    "retail": (
        [
            "Do you have {product} in stock?",
            "What time does the store close on {day}?",
            "Can I return {product} without a receipt?",
            "How much is delivery for {product}?",
            "Is there a discount for {who}?",
            "Do you sell {product}?",
            "where is my order",
            "Can I pick up {product} in store?",
            "Does the {product} come in {colour}?",
            "Are you open on {day}?",
        ],
        {
            "product": [
                "this jacket",
                "size 9 trainers",
                "the blue kettle",
                "garden chairs",
                "a phone case",
                "printer ink",
                "the winter coat",
            ],
            "day": ["Sunday", "Christmas Eve", "Saturday", "public holidays"],
            "who": ["students", "seniors", "members", "first orders", "bulk orders"],
            "colour": ["black", "red", "navy", "a larger size", "green"],
        },
    ),
    "utilities": (
        [
            "How do I submit a {meter} reading?",
            "When is my {bill} due?",
            "Why is my {bill} higher this month?",
            "How do I report a {fault}?",
            "Can I pay my {bill} by direct debit?",
            "I'm moving house, how do I close my {account}?",
            "Is there a {fault} in my area?",
            "what is my account number",
        ],
        {
            "meter": ["gas meter", "electricity meter", "water meter", "smart meter"],
            "bill": ["electricity bill", "water bill", "gas bill", "broadband bill"],
            "fault": ["power cut", "water leak", "broadband outage", "gas smell"],
            "account": ["energy account", "water account", "broadband contract"],
        },
    ),
    "education_admin": (
        [
            "When does {term} start?",
            "How do I enrol in {course}?",
            "What is the deadline for {task}?",
            "Where can I find my {doc}?",
            "Is there a fee for {task}?",
            "Who do I ask about {topic}?",
            "Can I switch to {course}?",
            "when is {term}",
            "Are {course} classes online?",
        ],
        {
            "term": ["the autumn term", "the spring semester", "summer school", "registration"],
            "course": [
                "the evening class",
                "Spanish for beginners",
                "the first-aid course",
                "the coding bootcamp",
                "year 10 maths",
            ],
            "task": ["applications", "late enrolment", "the resit", "course withdrawal"],
            "doc": ["timetable", "student ID", "transcript", "exam results", "library card"],
            "topic": ["bursaries", "the school bus", "uniform", "lost property", "parking"],
        },
    ),
}

_SMALL_TALK = [
    "hi",
    "hello there",
    "thanks!",
    "thank you so much",
    "good morning",
    "ok great",
    "that helped, thanks",
    "bye",
    "can you help me?",
    "are you a bot?",
    "who am I talking to?",
    "hello, anyone there?",
    "cool, thanks",
    "perfect",
    "nice one",
    "sorry, wrong chat",
    "how are you today?",
    "I need some help please",
    "can I talk to a person?",
    "what can you do?",
]

_LOOKUPS = [
    "What is the capital of {country}?",
    "What time is it in {city}?",
    "How many days are in {month}?",
    "What is {a} plus {b}?",
    "What currency does {country} use?",
    "How do you spell {word}?",
    "What is the weather like in {city} today?",
    "Who wrote {book}?",
    "What does {abbr} stand for?",
    "convert {a} km to miles",
]
_LOOKUP_SLOTS: dict[str, list[str]] = {
    "country": ["Spain", "Kenya", "Peru", "Norway", "Vietnam", "Portugal", "Chile", "Egypt"],
    "city": ["Tokyo", "Lisbon", "Denver", "Nairobi", "Oslo", "Lima"],
    "month": ["February", "April", "August", "November"],
    "a": ["3", "12", "25", "40", "7"],
    "b": ["4", "9", "15", "30"],
    "word": ["necessary", "accommodation", "separate", "definitely"],
    "book": ["Pride and Prejudice", "Hamlet", "Don Quixote", "The Hobbit"],
    "abbr": ["ASAP", "FAQ", "PDF", "ETA", "RSVP"],
}

# Easy requests in domains whose hard requests look alike (maths, code, science, finance,
# law, writing): one-step arithmetic, a definition, a unit, a one-line how-to. Without
# them, digits or a technical word alone push an easy question towards the strong tier.
_EASY_TECHNICAL = [
    "What is {a} times {b}?",
    "What is {a} divided by {b}?",
    "What is {pct} % of {c}?",
    "Round {dec} to {places} decimal places.",
    "Is {c} an even number?",
    "What is the square of {a}?",
    "convert {c} grams to kilograms",
    "How many {unitpair}?",
    "What does {term} mean?",
    "Define {term} in one sentence.",
    "What is the symbol for {element}?",
    "What is the boiling point of water in {unit}?",
    "How do I {snippet} in {lang}?",
    "What file extension do {lang} files use?",
    "What keyword starts a loop in {lang}?",
    "What is the {lang} command to {cmd}?",
    "What does {fin} stand for?",
    "Is a {fin} the same as an interest rate?",
    "What is the legal drinking age in {country}?",
    "What is a {legal}?",
    "Give me a synonym for {adj}.",
    "Fix the spelling: {misspelt}",
    "Is it 'affect' or 'effect' in '{phrase}'?",
    "What is the plural of {noun}?",
]
_EASY_TECHNICAL_SLOTS: dict[str, list[str]] = {
    "a": ["6", "9", "12", "15", "21", "48"],
    "b": ["3", "4", "7", "8", "11"],
    "c": ["250", "1200", "64", "90", "3500"],
    "pct": ["10", "15", "20", "25", "50"],
    "dec": ["2.71828", "7.4561", "0.3333", "19.995"],
    "places": ["one", "two", "three"],
    "unitpair": [
        "centimetres are in a metre",
        "minutes are in a day",
        "ounces are in a pound",
        "bytes are in a kilobyte",
        "days are in a leap year",
        "grams are in a kilo",
    ],
    "term": [
        "median",
        "velocity",
        "a prime number",
        "an atom",
        "inflation",
        "a variable",
        "a function",
        "an invoice",
        "a deductible",
        "photosynthesis",
    ],
    "element": ["iron", "sodium", "gold", "oxygen", "potassium"],
    "unit": ["Celsius", "Fahrenheit", "kelvin"],
    "snippet": [
        "print a line",
        "comment out a line",
        "get the length of a list",
        "make a string upper case",
        "read a file",
        "import a module",
    ],
    "lang": ["Python", "JavaScript", "Go", "Rust", "Java", "Ruby"],
    "cmd": ["list files", "show the version", "install a package", "exit the shell"],
    "fin": ["APR", "ETF", "IRA", "ROI", "GDP", "IPO"],
    "country": ["Japan", "Germany", "Canada", "Brazil", "Italy"],
    "legal": ["notary", "power of attorney", "tenancy deposit", "small claims court", "will"],
    "adj": ["happy", "quick", "important", "tired", "big"],
    "misspelt": ["recieve", "seperate", "definately", "occured", "untill"],
    "phrase": ["the weather will _ our trip", "the _ was immediate", "it had no _ on me"],
    "noun": ["mouse", "cactus", "criterion", "child", "analysis"],
}

# -- hard --------------------------------------------------------------------

_HARD_TEMPLATES = [
    "Prove that {claim}.",
    "Give a rigorous proof that {claim}, stating each lemma you use.",
    "Prove by contradiction that {claim}.",
    "Write a {lang} function that {task}, with tests, and explain its time complexity.",
    "Implement {structure} in {lang} and explain the design choices.",
    "Debug this {lang} code: {bug}. Explain the cause and give a corrected version.",
    "My {lang} program {symptom}. Walk through likely causes and show how to fix it.",
    "A {vehicle} travels {d1} km at {v1} km/h, then {d2} km at {v2} km/h after a {p}-minute "
    "stop. Find its average speed for the whole trip, showing every step.",
    "An investment of {money} grows at {r}% a year compounded quarterly for {y} years, then "
    "{w} is withdrawn. How much remains after another {y2} years? Show the working.",
    "Solve for x and y: {e1} and {e2}. Verify the solution.",
    "Find the maximum of f(x) = {poly} on the interval [0, {b}] and justify it with calculus.",
    "Write a {n}-word essay on {topic}, with an introduction, three arguments, a "
    "counter-argument and a conclusion.",
    "Analyse {topic} from economic, social and ethical perspectives and recommend a policy, "
    "weighing the trade-offs.",
    "Draft a {doc} of exactly {k} bullet points, in formal tone, that covers {aspects}, and "
    "avoid any jargon.",
    "Compare {pair} in a table covering performance, cost, risks and maintenance, then "
    "recommend one for {case} and justify it.",
]
_HARD_SLOTS: dict[str, list[str]] = {
    "claim": [
        "the square of an odd integer is odd",
        "there is no largest even number",
        "every tree with n vertices has n - 1 edges",
        "the product of two consecutive integers is even",
        "a continuous function on a closed interval attains its maximum",
        "log base 2 of 3 is irrational",
        "any set of n + 1 integers contains two with the same remainder mod n",
        "the harmonic series diverges",
        "every finite integral domain is a field",
        "the composition of two injective functions is injective",
    ],
    "lang": ["Python", "Rust", "Go", "C++", "TypeScript", "Java", "C"],
    "task": [
        "merges overlapping intervals",
        "finds the shortest path in a weighted graph",
        "parses a CSV line with quoted fields",
        "computes the edit distance between two strings",
        "detects a cycle in a linked list",
        "returns all permutations of a list without duplicates",
    ],
    "structure": [
        "a min-heap with decrease-key",
        "a trie with prefix search",
        "a rate limiter using a token bucket",
        "a bounded blocking queue",
        "a union-find with path compression",
    ],
    "bug": [
        "the loop `for i in range(len(xs)): xs.remove(xs[i])` raises IndexError",
        "a mutex is locked twice and the program hangs",
        "the binary search never terminates when the target is missing",
        "the recursive function overflows the stack on large inputs",
        "the async handler returns before the database write finishes",
    ],
    "symptom": [
        "leaks memory after a few hours",
        "gives different results on every run with threads",
        "is ten times slower after adding logging",
        "crashes with a segmentation fault on empty input",
    ],
    "vehicle": ["car", "cyclist", "train", "boat"],
    "d1": ["120", "45", "80", "210"],
    "d2": ["60", "35", "150", "90"],
    "v1": ["60", "18", "90", "40"],
    "v2": ["80", "24", "120", "30"],
    "p": ["15", "20", "30", "45"],
    "money": ["5,000", "12,500", "20,000", "8,000"],
    "r": ["3.5", "4", "6", "2.75"],
    "y": ["3", "5", "8"],
    "y2": ["2", "4", "6"],
    "w": ["1,000", "2,500", "3,000"],
    "e1": ["2x + 3y = 12", "5x - y = 7", "x^2 + y = 11", "3x + 4y = 10"],
    "e2": ["x - y = 1", "2x + 3y = 16", "x + y^2 = 7", "x - 2y = -5"],
    "poly": ["x^3 - 6x^2 + 9x + 1", "x(8 - x)^2", "-2x^3 + 3x^2 + 12x", "x e^(-x)"],
    "b": ["3", "4", "5", "8"],
    "n": ["800", "1,000", "1,500", "600"],
    "topic": [
        "the long-term effects of remote work on cities",
        "nuclear power as a climate policy",
        "universal basic income",
        "the role of central banks after 2008",
        "automation and employment in manufacturing",
        "congestion charging in large cities",
    ],
    "doc": ["migration plan", "incident post-mortem", "project proposal", "risk assessment"],
    "k": ["seven", "ten", "twelve"],
    "aspects": [
        "scope, budget, timeline, risks and owners",
        "root cause, impact, timeline and follow-up actions",
        "data migration, rollback, testing and sign-off",
    ],
    "pair": [
        "PostgreSQL and MongoDB",
        "a monolith and microservices",
        "Kafka and RabbitMQ",
        "serverless functions and long-running containers",
    ],
    "case": ["a payments start-up", "a hospital records system", "a high-traffic news site"],
}

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(rng: random.Random, template: str, slots: dict[str, list[str]]) -> str:
    return _SLOT.sub(lambda m: rng.choice(slots[m.group(1)]), template)


def _draw(rng: random.Random, pool: list[tuple[str, dict[str, list[str]]]], n: int) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        template, slots = rng.choice(pool)
        text = _fill(rng, template, slots)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def easy_queries(n: int = 480, *, seed: int = 0) -> list[str]:
    """``n`` distinct everyday queries (label 0), the same for the same seed."""
    rng = random.Random(seed)
    pool: list[tuple[str, dict[str, list[str]]]] = [
        (t, slots) for templates, slots in _EASY_DOMAINS.values() for t in templates
    ]
    pool += [(t, _LOOKUP_SLOTS) for t in _LOOKUPS]
    pool += [(t, {}) for t in _SMALL_TALK]
    return _draw(rng, pool, n)


def hard_queries(n: int = 240, *, seed: int = 0) -> list[str]:
    """``n`` distinct hard queries (label 1), the same for the same seed."""
    rng = random.Random(seed + 1)
    return _draw(rng, [(t, _HARD_SLOTS) for t in _HARD_TEMPLATES], n)


def easy_technical_queries(n: int = 240, *, seed: int = 0) -> list[str]:
    """``n`` distinct easy queries from technical domains (label 0), the same for the same seed.

    Separate from :func:`easy_queries` so that draw, and the models trained on it, stay as
    they were.
    """
    rng = random.Random(seed + 2)
    return _draw(rng, [(t, _EASY_TECHNICAL_SLOTS) for t in _EASY_TECHNICAL], n)


if __name__ == "__main__":
    easy, hard = easy_queries(), hard_queries()
    print(f"{len(easy)} easy, {len(hard)} hard")
    for text in easy[:15] + hard[:8]:
        print(" ", text)
