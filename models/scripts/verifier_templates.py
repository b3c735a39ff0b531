"""Project-written training pairs for the pair verifier, generated from templates.

The development sets have few of the near-misses that matter most to a cache
(one number, unit, date, negation, direction or name changes the answer), so
these templates write them, beside true paraphrases of the same questions
(reordering, synonyms, politeness, typos, spelled-out numbers) so that the
model learns which change matters rather than which template it saw.

Every pair is (stored question, asked question, same answer?, kind). Seeded;
the vocabulary here is kept apart from the hand-written evaluation pairs in
tests/cache/data/verifier_pairs.jsonl (the benchmark checks no text is shared).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from verifier_data import Pair

CITIES = [
    "Lisbon",
    "Vienna",
    "Oslo",
    "Prague",
    "Dublin",
    "Seoul",
    "Lima",
    "Nairobi",
    "Denver",
    "Toronto",
    "Hanoi",
    "Zurich",
    "Bogota",
    "Krakow",
    "Austin",
    "Manila",
    "Cairo",
    "Perth",
]
COUNTRIES = [
    "Chile",
    "Norway",
    "Kenya",
    "Vietnam",
    "Greece",
    "Peru",
    "Poland",
    "Egypt",
    "Finland",
    "Morocco",
    "Hungary",
    "Ireland",
    "Thailand",
    "Colombia",
    "Denmark",
]
CURRENCIES = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "INR", "SEK", "MXN"]
LANGS = ["English", "German", "Spanish", "Italian", "Korean", "Dutch", "Turkish", "Polish"]
UNITS = [
    ("kg", "pounds"),
    ("liters", "gallons"),
    ("inches", "cm"),
    ("feet", "meters"),
    ("ounces", "grams"),
    ("celsius", "fahrenheit"),
    ("acres", "hectares"),
    ("yards", "meters"),
    ("cups", "ml"),
    ("mph", "km/h"),
]
PRODUCTS = [
    "Galaxy S21",
    "ThinkPad X1",
    "Kindle Paperwhite",
    "MacBook Air",
    "Surface Pro",
    "Pixel 7",
    "PlayStation 5",
    "Xbox Series X",
    "iPad Mini",
    "Nintendo Switch",
    "Fitbit Charge 5",
    "Dell XPS 13",
    "GoPro Hero 11",
    "AirPods Pro",
]
SOFTWARE = [
    "pandas",
    "Docker",
    "PostgreSQL",
    "Node.js",
    "Rust",
    "Git",
    "TensorFlow",
    "Redis",
    "nginx",
    "Kubernetes",
    "Flask",
    "Django",
    "Terraform",
    "Ansible",
]
SYSTEMS = ["Ubuntu", "macOS", "Windows 11", "Debian", "Fedora", "Android", "iOS", "Arch Linux"]
COMPANIES = [
    "Siemens",
    "Toyota",
    "Netflix",
    "Spotify",
    "Nestle",
    "Adidas",
    "Shopify",
    "Intel",
    "Oracle",
    "Airbus",
    "Samsung",
    "IKEA",
    "Uber",
    "Pfizer",
]
FOODS = [
    "avocado",
    "banana",
    "almonds",
    "oatmeal",
    "salmon",
    "broccoli",
    "rice",
    "tofu",
    "lentils",
    "yogurt",
    "quinoa",
    "spinach",
]
DRUGS = [
    "paracetamol",
    "aspirin",
    "melatonin",
    "amoxicillin",
    "caffeine",
    "vitamin D",
    "antihistamines",
    "omega-3",
]
GROUPS = ["children", "dogs", "cats", "diabetics", "older adults", "athletes", "babies"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
EVENTS = [
    "Olympics",
    "Super Bowl",
    "Champions League final",
    "Eurovision",
    "Tour de France",
    "Nobel Peace Prize",
    "Oscars for best picture",
    "Wimbledon final",
]
WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "twenty": 20,
}
NUMBER_WORDS = {v: k for k, v in WORDS.items()}
OPPOSITES = [
    ("under", "over"),
    ("below", "above"),
    ("before", "after"),
    ("less", "more"),
    ("increase", "decrease"),
    ("buy", "sell"),
    ("upload", "download"),
    ("import", "export"),
    ("minimum", "maximum"),
    ("enable", "disable"),
    ("start", "stop"),
    ("cheapest", "most expensive"),
    ("fastest", "slowest"),
    ("lose", "gain"),
    ("hot", "cold"),
    ("inside", "outside"),
    ("first", "last"),
    ("encrypt", "decrypt"),
    ("install", "uninstall"),
    ("lock", "unlock"),
]
POLITE = [
    "please, ",
    "could you tell me ",
    "can you tell me ",
    "I'd like to know ",
    "quick question: ",
    "hey, ",
    "do you know ",
    "",
]
SYNONYMS = [
    ("cheap", "inexpensive"),
    ("cheap", "affordable"),
    ("buy", "purchase"),
    ("quickly", "fast"),
    ("car", "automobile"),
    ("big", "large"),
    ("begin", "start"),
    ("help", "assist"),
    ("find", "locate"),
    ("good", "decent"),
    ("best", "top"),
    ("fix", "repair"),
    ("make", "create"),
    ("show", "display"),
    ("error", "issue"),
    ("trip", "journey"),
    ("job", "position"),
    ("movie", "film"),
    ("doctor", "physician"),
    ("kids", "children"),
    ("phone", "smartphone"),
    ("how do I", "how can I"),
    ("what is", "what's"),
    ("do not", "don't"),
    ("is it possible to", "can I"),
    ("tips", "advice"),
    ("use", "utilize"),
    ("get rid of", "remove"),
]

Frame = Callable[[random.Random], tuple[str, list[tuple[str, str]], list[str]]]


def typo(text: str, rng: random.Random) -> str:
    """One typo (swap, drop or double a letter) in one word of five letters or more."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    op = rng.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == 1:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def restyle(text: str, rng: random.Random) -> str:
    """A true paraphrase by surface changes: politeness, case, punctuation, synonyms, typos."""
    out = text
    for a, b in rng.sample(SYNONYMS, len(SYNONYMS)):
        if f" {a} " in f" {out.lower()} " and rng.random() < 0.7:
            low = out.lower()
            k = f" {low} ".find(f" {a} ")
            out = out[:k] + b + out[k + len(a) :]
            break
    if rng.random() < 0.4:
        out = rng.choice(POLITE) + out[0].lower() + out[1:]
    if rng.random() < 0.3:
        out = out.lower()
    if rng.random() < 0.3:
        out = out.rstrip("?") if out.endswith("?") else out + "?"
    if rng.random() < 0.35:
        out = typo(out, rng)
    return out


def _n(rng: random.Random) -> int:
    return rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 250])


def _other(rng: random.Random, pool: list[str], value: str) -> str:
    return rng.choice([x for x in pool if x != value])


def _other_n(rng: random.Random, n: int) -> int:
    return rng.choice([m for m in (n + 1, n - 1, n * 2, n * 10, n + 5, n // 2 + 1) if m != n > 0])


def f_convert(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    n = _n(rng)
    u, v = rng.choice(UNITS)
    m = _other_n(rng, n)
    base = f"How many {v} is {n} {u}?"
    near = [(f"How many {v} is {m} {u}?", "number"), (f"How many {u} is {n} {v}?", "direction")]
    u2, _ = _other_pair(rng, (u, v))
    near.append((f"How many {v} is {n} {u2}?", "unit"))
    para = [f"Convert {n} {u} to {v}", f"{n} {u} in {v}?", f"What is {n} {u} in {v}?"]
    if n in NUMBER_WORDS:
        para.append(f"How many {v} is {NUMBER_WORDS[n]} {u}?")
    return base, near, para


def _other_pair(rng: random.Random, pair: tuple[str, str]) -> tuple[str, str]:
    return rng.choice([p for p in UNITS if p != pair])


def f_currency(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    a, b = rng.sample(CURRENCIES, 2)
    n = _n(rng) * 10
    base = f"Convert {n} {a} to {b}"
    near = [
        (f"Convert {n} {b} to {a}", "direction"),
        (f"Convert {_other_n(rng, n)} {a} to {b}", "number"),
        (f"Convert {n} {a} to {_other(rng, CURRENCIES, b)}", "entity"),
    ]
    para = [f"How much is {n} {a} in {b}?", f"{n} {a} to {b}", f"what's {n} {a} in {b}"]
    return base, near, para


def f_flight(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    a, b = rng.sample(CITIES, 2)
    lo, hi = rng.choice(OPPOSITES[:2])
    price = rng.choice([200, 300, 400, 500, 800, 1000])
    base = f"Cheap flights from {a} to {b} {lo} ${price}"
    near = [
        (f"Cheap flights from {b} to {a} {lo} ${price}", "direction"),
        (f"Cheap flights from {a} to {b} {hi} ${price}", "opposite"),
        (f"Cheap flights from {a} to {_other(rng, CITIES, b)} {lo} ${price}", "entity"),
        (f"Cheap flights from {a} to {b} {lo} ${price * 2}", "number"),
    ]
    para = [
        f"Inexpensive flights {a} to {b} {lo} {price} dollars",
        f"Flights from {a} to {b} for {lo} ${price}, cheap ones",
        f"Where can I find cheap flights from {a} to {b} {lo} ${price}?",
    ]
    return base, near, para


def f_translate(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    a, b = rng.sample(LANGS, 2)
    word = rng.choice(["thank you", "good morning", "see you later", "excuse me", "how are you"])
    base = f"How do you say '{word}' in {b}?"
    near = [
        (f"How do you say '{word}' in {_other(rng, LANGS, b)}?", "entity"),
        (f"Translate '{word}' from {b} to {a}", "direction"),
    ]
    para = [
        f"Translate '{word}' into {b}",
        f"What is '{word}' in {b}?",
        f"'{word}' in {b}, how do you say it?",
    ]
    return base, near, para


def f_capital(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    c = rng.choice(COUNTRIES)
    attr = rng.choice(["capital", "population", "official language", "currency", "national dish"])
    base = f"What is the {attr} of {c}?"
    near = [
        (f"What is the {attr} of {_other(rng, COUNTRIES, c)}?", "entity"),
        (f"What was the {attr} of {c} in {rng.choice([1850, 1900, 1950])}?", "tense"),
    ]
    para = [f"What's {c}'s {attr}?", f"{c}: what is its {attr}?", f"Tell me the {attr} of {c}"]
    return base, near, para


def f_install(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    s, o = rng.choice(SOFTWARE), rng.choice(SYSTEMS)
    v = rng.choice(["install", "update", "configure", "uninstall"])
    base = f"How do I {v} {s} on {o}?"
    other_v = _other(rng, ["install", "update", "configure", "uninstall"], v)
    near = [
        (f"How do I {v} {s} on {_other(rng, SYSTEMS, o)}?", "entity"),
        (f"How do I {v} {_other(rng, SOFTWARE, s)} on {o}?", "entity"),
        (f"How do I {other_v} {s} on {o}?", "opposite"),
        (f"Why can't I {v} {s} on {o}?", "scope"),
    ]
    para = [
        f"How can I {v} {s} on {o}?",
        f"Steps to {v} {s} on {o}",
        f"What's the way to {v} {s} on a {o} machine?",
        f"{s} on {o}: how to {v} it?",
    ]
    return base, near, para


def f_safe(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    d, g = rng.choice(DRUGS), rng.choice(GROUPS)
    base = f"Is {d} safe for {g}?"
    near = [
        (f"Is {d} not safe for {g}?", "negation"),
        (f"Is {d} unsafe for {g}?", "negation"),
        (f"Is {d} safe for {_other(rng, GROUPS, g)}?", "entity"),
        (f"Is {_other(rng, DRUGS, d)} safe for {g}?", "entity"),
        (f"Was {d} ever considered safe for {g}?", "tense"),
    ]
    para = [
        f"Can {g} safely take {d}?",
        f"Is it safe to give {d} to {g}?",
        f"{d} for {g}: is it safe?",
        f"Is {d} ok for {g}?",
    ]
    return base, near, para


def f_negation(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    thing = rng.choice(
        [
            "my laptop",
            "my printer",
            "the dishwasher",
            "my router",
            "my car",
            "the heater",
            "my headphones",
            "the fridge",
        ]
    )
    verb = rng.choice(["turn on", "charge", "connect to wifi", "make noise", "start", "heat up"])
    base = f"Why does {thing} {verb}?"
    near = [
        (f"Why doesn't {thing} {verb}?", "negation"),
        (f"Why does {thing} not {verb}?", "negation"),
        (f"Why did {thing} stop being able to {verb}?", "negation"),
    ]
    para = [
        f"What makes {thing} {verb}?",
        f"Why would {thing} {verb}?",
        f"Reason {thing} {verb}s?".replace(" ons?", " on?"),
    ]
    return base, near, para


def f_with(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    dish = rng.choice(
        [
            "pancakes",
            "banana bread",
            "pizza dough",
            "brownies",
            "cornbread",
            "scones",
            "waffles",
            "flatbread",
        ]
    )
    ing = rng.choice(["eggs", "butter", "milk", "sugar", "flour", "baking powder", "an oven"])
    base = f"How do I make {dish} without {ing}?"
    near = [
        (f"How do I make {dish} with {ing}?", "negation"),
        (
            f"How do I make {_other(rng, ['pancakes', 'muffins', 'cookies', 'crepes'], dish)}"
            f" without {ing}?",
            "entity",
        ),
    ]
    para = [
        f"Recipe for {dish} with no {ing}",
        f"How can I make {dish} without using {ing}?",
        f"Making {dish} without {ing}: how?",
    ]
    return base, near, para


def f_opposite(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    lo, hi = rng.choice(OPPOSITES)
    if rng.random() < 0.5:
        lo, hi = hi, lo
    topic = rng.choice(
        [
            "the stock price",
            "my credit score",
            "the battery",
            "the volume",
            "my weight",
            "the room temperature",
            "the fan speed",
            "the budget",
        ]
    )
    base = (
        f"What makes {topic} {lo}?"
        if lo in ("increase", "decrease", "hot", "cold")
        else (f"When should I {lo} {topic}?")
    )
    near = [(base.replace(f" {lo}", f" {hi}", 1), "opposite")]
    para = [
        restyle(base, rng),
        base.replace("What makes", "What causes").replace(
            "When should I", "At what point should I"
        ),
    ]
    return base, near, para


def f_event(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    e = rng.choice(EVENTS)
    y = rng.choice(range(1990, 2024, 2))
    base = f"Who won the {y} {e}?"
    near = [
        (f"Who won the {y + rng.choice([2, 4, -2, -4])} {e}?", "date"),
        (f"Who won the {y} {_other(rng, EVENTS, e)}?", "entity"),
        (f"Who lost the {y} {e}?", "opposite"),
        (f"Who will win the next {e}?", "tense"),
    ]
    para = [
        f"Winner of the {y} {e}?",
        f"Which one won the {y} {e}?",
        f"{y} {e}: who won?",
        f"Who was the winner of the {e} in {y}?",
    ]
    return base, near, para


def f_date(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    c = rng.choice(CITIES)
    m, d = rng.choice(MONTHS), rng.randint(1, 28)
    base = f"Weather forecast for {c} on {m} {d}"
    near = [
        (f"Weather forecast for {c} on {m} {d + 1}", "date"),
        (f"Weather forecast for {c} on {_other(rng, MONTHS, m)} {d}", "date"),
        (f"Weather forecast for {_other(rng, CITIES, c)} on {m} {d}", "entity"),
        (f"Weather in {c} on {m} {d} last year", "tense"),
    ]
    para = [
        f"What will the weather be in {c} on {m} {d}?",
        f"{c} weather {m} {d}",
        f"Forecast for {m} {d} in {c}",
    ]
    return base, near, para


def f_hours(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    c = rng.choice(COMPANIES)
    day = rng.choice(DAYS)
    base = f"What time does the {c} office open on {day}?"
    near = [
        (f"What time does the {c} office close on {day}?", "opposite"),
        (f"What time does the {c} office open on {_other(rng, DAYS, day)}?", "date"),
        (f"What time does the {_other(rng, COMPANIES, c)} office open on {day}?", "entity"),
    ]
    para = [
        f"On {day}, when does the {c} office open?",
        f"{c} office opening time {day}",
        f"When does the {c} office open on a {day}?",
    ]
    return base, near, para


def f_compare(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    a, b = rng.sample(PRODUCTS, 2)
    attr = rng.choice(["battery life", "screen", "price", "weight", "camera", "storage"])
    base = f"Does the {a} have a better {attr} than the {b}?"
    near = [
        (f"Does the {b} have a better {attr} than the {a}?", "direction"),
        (f"Does the {a} have a better {attr} than the {_other(rng, PRODUCTS, b)}?", "entity"),
        (f"Does the {a} have a worse {attr} than the {b}?", "opposite"),
    ]
    para = [
        f"Is the {attr} of the {a} better than the {b}'s?",
        f"{a} vs {b}: is the {a}'s {attr} better?",
        f"Compared with the {b}, does the {a} have a better {attr}?",
    ]
    return base, near, para


def f_ceo(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    c = rng.choice(COMPANIES)
    role = rng.choice(["CEO", "founder", "headquarters", "stock ticker", "annual revenue"])
    base = f"Who is the {role} of {c}?" if role in ("CEO", "founder") else f"What is {c}'s {role}?"
    near = [
        (base.replace(c, _other(rng, COMPANIES, c)), "entity"),
        (
            f"Who was the first {role} of {c}?"
            if role in ("CEO", "founder")
            else f"What was {c}'s {role} in 2010?",
            "tense",
        ),
    ]
    para = [restyle(base, rng), f"{c} {role}?", f"Tell me the {role} of {c}"]
    return base, near, para


def f_percent(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    p, n = rng.choice([5, 10, 15, 20, 25, 30, 40]), rng.choice([60, 80, 120, 200, 350, 900])
    base = f"What is {p}% of {n}?"
    near = [
        (f"What is {p}% of {_other_n(rng, n)}?", "number"),
        (f"What is {_other_n(rng, p)}% of {n}?", "number"),
        (f"{n} is what percent of {p}?", "direction"),
    ]
    para = [f"Calculate {p} percent of {n}", f"{p} percent of {n} is what?", f"what's {p}% of {n}"]
    return base, near, para


def f_food(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    f, n = rng.choice(FOODS), rng.choice([50, 100, 150, 200, 250])
    nutrient = rng.choice(["calories", "grams of protein", "grams of fiber", "grams of sugar"])
    base = f"How many {nutrient} are in {n} g of {f}?"
    near = [
        (f"How many {nutrient} are in {n * 2} g of {f}?", "number"),
        (f"How many {nutrient} are in {n} g of {_other(rng, FOODS, f)}?", "entity"),
        (f"How many {nutrient} are in {n} kg of {f}?", "unit"),
    ]
    para = [
        f"{nutrient.capitalize()} in {n} grams of {f}?",
        f"{n}g {f}: how many {nutrient}?",
        f"How many {nutrient} does {n} g of {f} have?",
    ]
    return base, near, para


def f_scope(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    c = rng.choice(CITIES)
    place = rng.choice(["restaurants", "hotels", "museums", "coffee shops", "parks", "gyms"])
    base = f"What are the best {place} in {c}?"
    near = [
        (
            f"What are the best vegan {place} in {c}?"
            if place == "restaurants"
            else f"What are the best {place} in {c} for families?",
            "scope",
        ),
        (f"What are the worst {place} in {c}?", "opposite"),
        (f"What are the best {place} in {_other(rng, CITIES, c)}?", "entity"),
        (f"What were the best {place} in {c} in the 1990s?", "tense"),
    ]
    para = [
        f"Top {place} in {c}?",
        f"In {c}, which {place} are the best?",
        f"Best {place} {c}",
        f"Can you recommend the best {place} in {c}?",
    ]
    return base, near, para


def f_account(rng: random.Random) -> tuple[str, list[tuple[str, str]], list[str]]:
    svc = rng.choice(["Netflix", "Spotify", "Dropbox", "Zoom", "Slack", "Steam", "Duolingo"])
    act = rng.choice(
        [
            "cancel my subscription",
            "change my email",
            "delete my account",
            "reset my PIN",
            "turn on two-factor authentication",
        ]
    )
    base = f"How do I {act} on {svc}?"
    near = [
        (
            f"How do I {act} on {_other(rng, ['Netflix', 'Spotify', 'Dropbox', 'Zoom'], svc)}?",
            "entity",
        ),
        (f"How do I {act.replace('my', 'my friend’s', 1)} on {svc}?", "scope"),
        (f"What happens if I {act} on {svc}?", "scope"),
    ]
    para = [
        f"How can I {act} on {svc}?",
        f"{svc}: how to {act}",
        f"Where do I go to {act} in {svc}?",
        f"I want to {act} on {svc}, how?",
    ]
    return base, near, para


FRAMES: list[Frame] = [
    f_convert,
    f_currency,
    f_flight,
    f_translate,
    f_capital,
    f_install,
    f_safe,
    f_negation,
    f_with,
    f_opposite,
    f_event,
    f_date,
    f_hours,
    f_compare,
    f_ceo,
    f_percent,
    f_food,
    f_scope,
    f_account,
]


def template_pairs(count: int, seed: int) -> list[Pair]:
    """About ``count`` pairs, half near-misses (labelled by kind), half paraphrases."""
    rng = random.Random(seed)
    out: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < count:
        frame = rng.choice(FRAMES)
        base, near, para = frame(rng)
        nb, pb = rng.choice(near), rng.choice(para)
        candidates = [
            (nb[0], False, nb[1]),
            (pb, True, "paraphrase"),
            (restyle(base, rng), True, "restyle"),
        ]
        # A near-miss restyled too: the change must still count after surface noise.
        if rng.random() < 0.5:
            candidates.append((restyle(nb[0], rng), False, nb[1]))
        for text, dup, kind in candidates:
            a, b = (base, text) if rng.random() < 0.5 else (text, base)
            if a == b or (a, b) in seen:
                continue
            seen.add((a, b))
            out.append(Pair(a, b, dup, "templates", kind))
    return out
