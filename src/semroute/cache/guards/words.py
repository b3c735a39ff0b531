"""English word lists behind the hit guards, written for semroute.

Every list is lower-case ASCII and deliberately small; the guards only look at a
pair that is already above the similarity threshold, so they need to recognise
the few words that flip an answer, not understand English.

- ``NEGATION``: cues that invert a statement. Words ending in ``n't`` and the
  apostrophe-less forms people type (``dont``, ``cant``) count too.
- ``STOP``: function words, pronouns, question words and auxiliaries. They are
  skipped when comparing key terms, so "How do I..." and "How can I..." agree.
- ``COMMON``: frequent general-purpose words (generic nouns, verbs, adjectives
  of a question). A swap between two of them ("good tips" / "smart tips") is
  a paraphrase, so it does not fire the key-term guard; a swap between two
  words outside every list ("python" / "java", "Paris" / "Rome") does.
- ``CARDINALS``, ``SCALES``, ``ORDINALS``: written numbers, read as their value.
- ``UNITS``: unit words and their spellings, mapped to one canonical unit so
  "5 km" and "five kilometres" agree while "5 km" and "5 miles" do not.
"""

from __future__ import annotations


def _split(text: str) -> frozenset[str]:
    return frozenset(text.split())


NEGATION: frozenset[str] = _split(
    """
    not no never without none nobody nothing nowhere neither nor cannot
    dont doesnt didnt cant couldnt wont wouldnt shouldnt isnt arent wasnt werent
    havent hasnt hadnt mustnt neednt aint unable
    """
)

STOP: frozenset[str] = _split(
    """
    a an the this that these those there here it its it's itself
    i i'm i've i'd i'll me my mine myself we we're we've our ours ourselves
    you you're you've you'd you'll your yours yourself yourselves
    he he's him his himself she she's her hers herself they they're they've them their
    theirs themselves one's someone somebody something anyone anybody anything everyone
    everybody everything
    what what's which who who's whom whose when when's where where's why why's how how's
    whether whatever whichever whoever however
    is am are was were be been being do does did doing done have has had having
    can could will would shall should may might must ought
    to of in on at by for with from into onto upon about above below over under
    between among through during before after since until till than then as
    and or but if so because while although though also too very just only even
    ever still yet already again else rather quite really
    some any all each every both either few many much more most less least other
    others another such same own enough several
    up down out off away back
    let let's please
    get got gets getting go goes going gone went
    like
    s t d ll m re ve
    """
)

COMMON: frozenset[str] = _split(
    """
    way ways thing things tip tips idea ideas step steps method methods kind kinds type
    types sort example examples reason reasons difference differences advantage
    advantages disadvantage disadvantages benefit benefits pros cons use uses
    problem problems question questions answer answers option options
    good best better great nice bad worse worst top easy easier easiest simple simplest
    quick quickly quicker fast faster fastest effective efficient efficiently smart
    right wrong correct proper properly possible impossible important main major
    real really actual actually true false new old big small large little high low
    long short free cheap cheapest expensive safe safely common popular famous useful
    interesting beautiful hard difficult normal typical general basic
    different similar whole full complete certain sure likely
    first last next early late recent
    people person man men woman women guy guys child children kid kids friend friends
    life time times day days year years world place places part parts lot lots number
    amount money job jobs work company business country countries home house family
    someone
    make makes made making take takes took taking give gives gave given giving find
    finds found finding know knows knew known knowing think thinks thought thinking
    see sees saw seen seeing want wants wanted need needs needed say says said tell
    tells told ask asks asked come comes came coming look looks looked looking feel
    feels felt seem seems become becomes became start started stop stopped keep kept
    help helps helped try tries tried trying mean means meant happen happens happened
    change changes changed improve improves improved increase increased reduce
    reduced learn learns learned learning study studies studied studying understand
    understanding explain explained describe described create created build built
    write writes wrote written read reads reading buy bought sell sold pay paid spend
    spent earn earned lose lost win won prepare prepared avoid deal handle manage
    choose chose chosen pick recommend suggest compare consider decide prefer
    call called name named live lives lived work works worked working run runs ran
    running play plays played playing watch watched move moved turn turned put puts
    set sets show shows showed shown speak spoke talk talked
    exist exists exactly generally usually typically basically overall example
    online offline available
    guide tutorial course courses book books resource resources material materials
    source sources site sites website websites app apps
    opinion opinions view views thought
    """
)

CARDINALS: dict[str, int] = {
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
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
}

SCALES: dict[str, int] = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    # "several thousand" == "thousands": both vague, read alike.
    "hundreds": 100,
    "thousands": 1_000,
    "millions": 1_000_000,
    "billions": 1_000_000_000,
}

ORDINALS: dict[str, int] = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}

# Canonical unit name -> spellings. Suffixes glued to a number ("5km", "10%")
# are looked up here too.
UNITS: dict[str, tuple[str, ...]] = {
    "km": ("km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"),
    "m": ("m", "meter", "meters", "metre", "metres"),
    "cm": ("cm", "centimeter", "centimeters", "centimetre", "centimetres"),
    "mm": ("mm", "millimeter", "millimeters", "millimetre", "millimetres"),
    "mile": ("mi", "mile", "miles"),
    "foot": ("ft", "foot", "feet"),
    "inch": ("inch", "inches"),
    "yard": ("yd", "yard", "yards"),
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"),
    "g": ("g", "gram", "grams", "gr"),
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    "l": ("l", "liter", "liters", "litre", "litres"),
    "ml": ("ml", "milliliter", "milliliters", "millilitre", "millilitres"),
    "gallon": ("gal", "gallon", "gallons"),
    "celsius": ("c", "celsius", "centigrade"),
    "fahrenheit": ("f", "fahrenheit"),
    "percent": ("percent", "pct"),
    "usd": ("usd", "dollar", "dollars", "bucks"),
    "eur": ("eur", "euro", "euros"),
    "gbp": ("gbp", "sterling"),
    "inr": ("inr", "rupee", "rupees", "rs"),
    "second": ("sec", "secs", "second", "seconds"),
    "minute": ("min", "mins", "minute", "minutes"),
    "hour": ("h", "hr", "hrs", "hour", "hours"),
    "day": ("day", "days"),
    "week": ("wk", "wks", "week", "weeks"),
    "month": ("mo", "month", "months"),
    "year": ("yr", "yrs", "year", "years"),
    "byte": ("b", "byte", "bytes"),
    "kb": ("kb", "kilobyte", "kilobytes"),
    "mb": ("mb", "megabyte", "megabytes"),
    "gb": ("gb", "gig", "gigs", "gigabyte", "gigabytes"),
    "tb": ("tb", "terabyte", "terabytes"),
    "ghz": ("ghz", "gigahertz"),
    "mhz": ("mhz", "megahertz"),
    "degree": ("deg", "degree", "degrees"),
    "k": ("k",),
    "x": ("x",),
    "pm": ("pm", "p.m"),
    "am": ("am", "a.m"),
}

# Glued to a number ("1st", "22nd"), these mark an ordinal.
ORDINAL_SUFFIXES: frozenset[str] = frozenset({"st", "nd", "rd", "th"})

# A symbol right before a number gives it a unit: "$5" is five dollars.
PREFIX_UNITS: dict[str, str] = {"$": "usd", "€": "eur", "£": "gbp", "₹": "inr"}
# And right after it: "10%".
SUFFIX_UNITS: dict[str, str] = {"%": "percent", "°": "degree"}

# Opposite pairs: (one side, the other side). Two queries that both use a pair
# but not the same side of it ask different things ("top" / "bottom"). A word
# may only be in one pair; inflections are listed or reached by the stemmer.
OPPOSITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("top",), ("bottom",)),
    (("up", "upward", "upwards"), ("down", "downward", "downwards")),
    (("on", "onto"), ("off",)),
    (("in", "into", "inside", "indoors", "indoor"), ("out", "outside", "outdoors", "outdoor")),
    (("above",), ("below", "beneath")),
    (("over",), ("under",)),
    (("before",), ("after",)),
    (("more", "most"), ("less", "least", "fewer", "fewest")),
    (
        ("increase", "increases", "increased", "increasing"),
        ("decrease", "decreases", "decreased", "decreasing"),
    ),
    (("rise", "rises", "rising", "rose"), ("fall", "falls", "falling", "fell")),
    (
        ("buy", "buys", "buying", "bought", "buyer", "buyers"),
        ("sell", "sells", "selling", "sold", "seller", "sellers"),
    ),
    (("win", "wins", "winning", "won", "winner"), ("lose", "loses", "losing", "lost", "loser")),
    (("open", "opens", "opened", "opening"), ("close", "closes", "closed", "closing", "shut")),
    (
        ("start", "starts", "started", "starting", "begin", "begins", "beginning"),
        ("end", "ends", "ended", "ending", "finish", "finished"),
    ),
    (("enable", "enabled", "enabling"), ("disable", "disabled", "disabling")),
    (
        ("include", "includes", "included", "including"),
        ("exclude", "excludes", "excluded", "excluding"),
    ),
    (("import", "imports", "imported"), ("export", "exports", "exported")),
    (
        ("add", "adds", "added", "adding"),
        ("remove", "removes", "removed", "removing", "delete", "deletes", "deleted", "deleting"),
    ),
    (
        ("upload", "uploads", "uploaded", "uploading"),
        ("download", "downloads", "downloaded", "downloading"),
    ),
    (("login", "signin"), ("logout", "signout")),
    (("maximum", "max", "maximise", "maximize"), ("minimum", "minimise", "minimize")),
    (("high", "higher", "highest"), ("low", "lower", "lowest")),
    (("long", "longer", "longest"), ("short", "shorter", "shortest")),
    (
        ("big", "bigger", "biggest", "large", "larger", "largest"),
        ("small", "smaller", "smallest", "little", "tiny"),
    ),
    (("hot", "hotter", "warm", "warmer"), ("cold", "colder", "cool", "cooler")),
    (("heavy", "heavier"), ("light", "lighter")),
    (("fast", "faster", "fastest", "quick", "quickly"), ("slow", "slower", "slowest", "slowly")),
    (("early", "earlier"), ("late", "later")),
    (("cheap", "cheaper", "cheapest"), ("expensive", "costly")),
    (("good", "better", "best"), ("bad", "worse", "worst")),
    (("advantage", "advantages", "pros"), ("disadvantage", "disadvantages", "cons")),
    (("like", "likes", "liked"), ("dislike", "dislikes", "disliked")),
    (("love", "loves", "loved"), ("hate", "hates", "hated")),
    (("agree", "agrees", "agreed"), ("disagree", "disagrees", "disagreed")),
    (("legal",), ("illegal",)),
    (("possible",), ("impossible",)),
    (("safe", "safely"), ("unsafe", "dangerous")),
    (("true",), ("false",)),
    (("right",), ("wrong",)),
    (("male", "males"), ("female", "females")),
    (("man", "men"), ("woman", "women")),
    (("boy", "boys"), ("girl", "girls")),
    (("husband",), ("wife",)),
    (("north", "northern"), ("south", "southern")),
    (("east", "eastern"), ("west", "western")),
    (("positive",), ("negative",)),
    (("input", "inputs"), ("output", "outputs")),
    (("send", "sends", "sending", "sent"), ("receive", "receives", "receiving", "received")),
    (("accept", "accepts", "accepted"), ("reject", "rejects", "rejected")),
    (("pass", "passed", "passing"), ("fail", "fails", "failed", "failing")),
    (("full",), ("empty",)),
    (("young", "younger", "youngest"), ("old", "older", "oldest", "elderly")),
    (("alive",), ("dead",)),
    (("asleep", "sleeping"), ("awake",)),
    (("push", "pushes", "pushing"), ("pull", "pulls", "pulling")),
    (("wet",), ("dry",)),
    (("thick",), ("thin",)),
    (("rich",), ("poor",)),
)
