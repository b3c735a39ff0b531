"""The sample log's written material: FAQ intents, hard questions and help-centre pages.

Everything here was written for semroute's sample log (a fictional online shop,
"Larkspur Goods", and a fictional tutoring service, "Brightpath Tutoring").
``generate.py`` draws from it; nothing is copied from any data set.
"""

from __future__ import annotations

# Each intent: (name, feature, phrasings). The first phrasing is the canonical one.
SHOP_INTENTS: list[tuple[str, list[str]]] = [
    (
        "reset_password",
        [
            "How do I reset my password?",
            "I forgot my password, how can I change it?",
            "how to reset password",
            "Can't log in, need a new password",
            "Where do I go to reset my account password?",
        ],
    ),
    (
        "track_order",
        [
            "Where is my order?",
            "How can I track my order?",
            "track my package",
            "Is there a tracking number for my order?",
            "My order hasn't arrived yet, where is it?",
        ],
    ),
    (
        "return_policy",
        [
            "What is your return policy?",
            "Can I return an item I bought?",
            "How many days do I have to return something?",
            "return policy",
            "Do you accept returns on sale items?",
        ],
    ),
    (
        "start_return",
        [
            "How do I start a return?",
            "How do I send an item back?",
            "I want to return my order, what do I do?",
            "start a return",
        ],
    ),
    (
        "refund_time",
        [
            "How long does a refund take?",
            "When will I get my money back?",
            "How many days until my refund shows up?",
            "refund still not received",
        ],
    ),
    (
        "shipping_cost",
        [
            "How much does shipping cost?",
            "What are your shipping fees?",
            "Is shipping free?",
            "shipping price",
            "Do you offer free delivery over a certain amount?",
        ],
    ),
    (
        "shipping_time",
        [
            "How long does delivery take?",
            "When will my order arrive?",
            "How many days is standard shipping?",
            "delivery time",
        ],
    ),
    (
        "international_shipping",
        [
            "Do you ship internationally?",
            "Can you deliver to Canada?",
            "Do you ship outside the country?",
            "international delivery",
        ],
    ),
    (
        "cancel_order",
        [
            "How do I cancel my order?",
            "Can I cancel an order I just placed?",
            "cancel order",
            "I ordered by mistake, please cancel it",
        ],
    ),
    (
        "change_address",
        [
            "How do I change my shipping address?",
            "Can I update the delivery address on my order?",
            "wrong address on my order",
            "I moved, how do I change my address?",
        ],
    ),
    (
        "payment_methods",
        [
            "What payment methods do you accept?",
            "Can I pay with PayPal?",
            "Do you take credit cards?",
            "payment options",
        ],
    ),
    (
        "promo_code",
        [
            "My promo code doesn't work",
            "Why is my discount code not working?",
            "coupon code invalid",
            "The voucher code says expired, why?",
        ],
    ),
    (
        "gift_card_balance",
        [
            "How do I check my gift card balance?",
            "How much is left on my gift card?",
            "gift card balance",
        ],
    ),
    (
        "size_guide",
        [
            "Where can I find the size guide?",
            "How do your sizes run?",
            "size chart",
            "Do your shoes run small?",
        ],
    ),
    (
        "exchange_size",
        [
            "Can I exchange for a different size?",
            "How do I swap an item for another size?",
            "exchange size",
        ],
    ),
    (
        "damaged_item",
        [
            "My item arrived damaged, what should I do?",
            "The product I received is broken",
            "damaged item received",
            "The parcel came crushed and the item is broken",
        ],
    ),
    (
        "missing_item",
        [
            "An item is missing from my order",
            "I only received part of my order",
            "missing item in package",
        ],
    ),
    (
        "wrong_item",
        [
            "I received the wrong item",
            "You sent me the wrong product",
            "wrong item delivered",
        ],
    ),
    (
        "delete_account",
        [
            "How do I delete my account?",
            "Please close my account",
            "delete account",
            "How can I remove all my data from your site?",
        ],
    ),
    (
        "unsubscribe",
        [
            "How do I unsubscribe from your emails?",
            "Stop sending me newsletters",
            "unsubscribe from marketing emails",
        ],
    ),
    (
        "contact_support",
        [
            "How can I contact customer service?",
            "Is there a phone number for support?",
            "talk to a human",
            "How do I reach your support team?",
        ],
    ),
    (
        "store_hours",
        [
            "What are your store opening hours?",
            "When is the shop open?",
            "opening hours",
        ],
    ),
    (
        "warranty",
        [
            "What does the warranty cover?",
            "How long is the warranty on electronics?",
            "warranty period",
        ],
    ),
    (
        "price_match",
        [
            "Do you price match?",
            "I found it cheaper elsewhere, can you match the price?",
            "price match policy",
        ],
    ),
    (
        "restock",
        [
            "When will this item be back in stock?",
            "Will you restock the sold out jacket?",
            "out of stock when available again",
        ],
    ),
    (
        "invoice",
        [
            "How do I get an invoice for my order?",
            "Can I download a VAT invoice?",
            "need a receipt for my purchase",
        ],
    ),
    (
        "loyalty_points",
        [
            "How do loyalty points work?",
            "How do I use my reward points?",
            "loyalty program points",
        ],
    ),
    (
        "order_confirmation",
        [
            "I didn't get an order confirmation email",
            "No confirmation email after ordering",
            "order confirmation not received",
        ],
    ),
    (
        "change_order",
        [
            "Can I add an item to an order I already placed?",
            "How do I change the items in my order?",
            "modify my order",
        ],
    ),
    (
        "gift_wrap",
        [
            "Do you offer gift wrapping?",
            "Can I add a gift message to my order?",
            "gift wrap option",
        ],
    ),
]

TUTOR_INTENTS: list[tuple[str, list[str]]] = [
    (
        "book_session",
        [
            "How do I book a tutoring session?",
            "How can I schedule a lesson with a tutor?",
            "book a session",
            "I want to book a math tutor for tomorrow",
        ],
    ),
    (
        "reschedule_session",
        [
            "How do I reschedule my session?",
            "Can I move my lesson to another day?",
            "reschedule lesson",
        ],
    ),
    (
        "cancel_session",
        [
            "How do I cancel a session?",
            "What happens if I cancel a lesson late?",
            "cancel tutoring session",
        ],
    ),
    (
        "session_price",
        [
            "How much does a tutoring session cost?",
            "What are your prices per hour?",
            "tutoring rates",
            "How expensive is a one hour lesson?",
        ],
    ),
    (
        "subjects_offered",
        [
            "Which subjects do you offer tutoring in?",
            "Do you have chemistry tutors?",
            "what subjects can I learn",
        ],
    ),
    (
        "free_trial",
        [
            "Is there a free trial lesson?",
            "Can I try a session for free?",
            "free first lesson",
        ],
    ),
    (
        "choose_tutor",
        [
            "How do I choose a tutor?",
            "Can I pick my own tutor?",
            "how are tutors matched to students",
        ],
    ),
    (
        "change_tutor",
        [
            "Can I change my tutor?",
            "I want a different tutor",
            "switch tutor",
        ],
    ),
    (
        "join_online",
        [
            "How do I join my online session?",
            "Where is the link for my video lesson?",
            "join online lesson",
            "The session link doesn't open",
        ],
    ),
    (
        "homework_help",
        [
            "Can a tutor help with my homework?",
            "Do you help with school assignments?",
            "homework help",
        ],
    ),
    (
        "exam_prep",
        [
            "Do you offer exam preparation courses?",
            "Can you help me prepare for the SAT?",
            "exam prep",
        ],
    ),
    (
        "session_length",
        [
            "How long is a tutoring session?",
            "Are lessons 30 or 60 minutes?",
            "session length",
        ],
    ),
    (
        "packages",
        [
            "Do you have lesson packages or bundles?",
            "Is there a discount if I buy 10 sessions?",
            "lesson bundles",
        ],
    ),
    (
        "tutor_qualifications",
        [
            "What qualifications do your tutors have?",
            "Are your tutors certified teachers?",
            "tutor qualifications",
        ],
    ),
    (
        "progress_report",
        [
            "How can I see my child's progress?",
            "Do parents get progress reports?",
            "progress report",
        ],
    ),
    (
        "age_groups",
        [
            "What ages do you tutor?",
            "Do you teach primary school children?",
            "age range for tutoring",
        ],
    ),
    (
        "group_sessions",
        [
            "Do you offer group lessons?",
            "Can two siblings share a session?",
            "group tutoring",
        ],
    ),
    (
        "materials",
        [
            "Do I need to buy any materials?",
            "Are textbooks included?",
            "learning materials",
        ],
    ),
    (
        "recording",
        [
            "Are online sessions recorded?",
            "Can I rewatch my lesson later?",
            "session recording",
        ],
    ),
    (
        "refund_session",
        [
            "Can I get a refund for a missed session?",
            "The tutor didn't show up, can I get my money back?",
            "session refund",
        ],
    ),
    (
        "become_tutor",
        [
            "How do I become a tutor with you?",
            "Are you hiring tutors?",
            "apply to be a tutor",
        ],
    ),
    (
        "language_lessons",
        [
            "Do you offer Spanish lessons?",
            "Can I learn French with a tutor?",
            "language tutoring",
        ],
    ),
    (
        "tech_requirements",
        [
            "What do I need for online lessons?",
            "Does the classroom work on a tablet?",
            "technical requirements",
        ],
    ),
    (
        "payment_tutoring",
        [
            "When am I charged for a session?",
            "Do I pay before or after the lesson?",
            "billing for lessons",
        ],
    ),
    (
        "weekend_sessions",
        [
            "Are sessions available on weekends?",
            "Can I book a lesson on Sunday?",
            "weekend availability",
        ],
    ),
    (
        "learning_disability",
        [
            "Do you have tutors for students with dyslexia?",
            "Is there support for learning difficulties?",
            "special needs tutoring",
        ],
    ),
    (
        "parent_account",
        [
            "Can a parent manage the account for a child?",
            "How do I add my kid to my account?",
            "parent account",
        ],
    ),
    (
        "what_is_derivative",
        [
            "What is a derivative?",
            "Explain derivatives simply",
            "what does a derivative mean in calculus",
        ],
    ),
    (
        "photosynthesis",
        [
            "What is photosynthesis?",
            "Explain photosynthesis in simple terms",
            "how do plants make food",
        ],
    ),
    (
        "pythagoras",
        [
            "What is the Pythagorean theorem?",
            "Explain a squared plus b squared equals c squared",
            "pythagoras theorem",
        ],
    ),
]

# Questions a mini model tends to get wrong: proofs, multi-step maths, code, long analyses.
HARD_QUESTIONS: list[str] = [
    "Prove that the square root of 2 is irrational.",
    "Prove that there are infinitely many prime numbers.",
    "Prove by induction that 1 + 2 + ... + n = n(n+1)/2 for every positive integer n.",
    "Show that every bounded monotone sequence of real numbers converges.",
    "Prove that the sum of the angles of a triangle is 180 degrees using parallel lines.",
    "A train leaves at 9:40 at 72 km/h and a second train leaves the same station at 10:05 "
    "at 90 km/h on the same track. When and where does the second train catch up?",
    "Solve the system 3x + 2y - z = 1, 2x - 2y + 4z = -2, -x + y/2 - z = 0 step by step.",
    "Find all real solutions of x^4 - 5x^2 + 4 = 0 and explain each step.",
    "A tank fills through pipe A in 6 hours and through pipe B in 4 hours, while pipe C drains "
    "it in 12 hours. With all three open, how long until it is full?",
    "Compute the integral of x^2 * e^(2x) dx using integration by parts, showing every step.",
    "What is the probability of getting at least two sixes in five rolls of a fair die? "
    "Show the working.",
    "Derive the quadratic formula by completing the square.",
    "Write a Python function that returns the longest palindromic substring of a string in "
    "O(n^2) time, and explain its complexity.",
    "Write a SQL query that finds, for each customer, the month with the highest total order "
    "value, breaking ties by the earliest month.",
    "Debug this code: my recursive Fibonacci in JavaScript is very slow for n = 45. "
    "Rewrite it with memoisation and explain why it is faster.",
    "Implement a thread-safe LRU cache in Java with get and put in O(1) and explain the "
    "locking strategy.",
    "Explain the difference between a process and a thread, then write a Python example that "
    "shows a race condition and how a lock fixes it.",
    "Write a regular expression that validates an ISO 8601 date with optional time zone and "
    "explain each part.",
    "Compare the causes of the First World War in an essay of about 600 words, weighing "
    "alliances, nationalism, imperialism and militarism.",
    "Analyse the themes of ambition and guilt in Macbeth with references to at least three "
    "scenes, about 500 words.",
    "Our shop's conversion fell from 3.1% to 2.4% after a redesign while traffic rose 20%. "
    "Lay out a step-by-step analysis plan to find the cause and the experiments to run.",
    "Given monthly sales of 120, 135, 150, 149, 170 and 188 units, fit a linear trend, "
    "forecast the next three months and discuss the uncertainty.",
    "Explain why the halting problem is undecidable with a proof sketch.",
    "A ladder 5 m long slides down a wall at 0.3 m/s at the bottom. How fast is the top "
    "falling when the bottom is 3 m from the wall?",
    "Prove that a graph is bipartite if and only if it contains no odd cycle.",
    "Balance the redox equation MnO4- + Fe2+ -> Mn2+ + Fe3+ in acidic solution and explain "
    "the half-reactions.",
    "Design a database schema for a tutoring marketplace with tutors, students, bookings, "
    "reviews and payments, and justify the keys and indexes.",
    "Explain how public-key cryptography lets two people agree on a secret over an open "
    "channel, with a small numeric Diffie-Hellman example.",
    "Critically evaluate the argument that social media has reduced teenagers' attention "
    "spans, citing the kinds of evidence each side would need.",
    "Find the eigenvalues and eigenvectors of the matrix [[2, 1], [1, 2]] and interpret them "
    "geometrically.",
    "A loan of 12,000 at 6% yearly interest compounded monthly is repaid over 3 years. "
    "Derive the monthly payment and build the first three rows of the amortisation table.",
    "Write a step-by-step solution: how many ways can 8 people sit at a round table if two "
    "of them refuse to sit next to each other?",
    "Refactor this nested loop that finds duplicate emails in a list of 100,000 users so it "
    "runs in linear time, in Python, and explain the trade-offs.",
    "Explain the central limit theorem and simulate it in Python with dice rolls, describing "
    "what the histogram shows.",
    "Prove that the function f(x) = x^3 is uniformly continuous on [0, 1] but not on the "
    "whole real line.",
    "Compare merge sort and quicksort: worst case, average case, memory, stability, and when "
    "you would choose each.",
]

# Help-centre pages used as retrieved context (RAG). Written for the sample log.
HELP_PAGES: dict[str, str] = {
    "returns": (
        "Returns at Larkspur Goods. You may return most items within 30 days of delivery for a "
        "full refund to the original payment method. Items must be unused, in their original "
        "packaging, and accompanied by the order number. Sale items marked final sale cannot "
        "be returned, but they can be exchanged for a different size within 14 days.\n\n"
        "To start a return, open Orders in your account, choose the order, and select Return "
        "items. Print the prepaid label and drop the parcel at any partner post office. Return "
        "shipping is free for members of the Larkspur Club and costs 4.95 for everyone else; "
        "the fee is deducted from the refund.\n\n"
        "Refunds are issued within 5 business days after the warehouse receives the parcel. "
        "Banks may need a further 3 to 7 days to show the money on your statement. If you paid "
        "with a gift card, the refund goes back onto a new gift card sent by email.\n\n"
        "Damaged or wrong items are handled separately: report them within 7 days with a photo "
        "and we will send a replacement at no cost, or refund you in full if the item is out of "
        "stock. You do not need to send back broken glassware or ceramics."
    ),
    "shipping": (
        "Shipping at Larkspur Goods. Standard delivery takes 3 to 5 business days and costs "
        "3.95; it is free on orders over 50. Express delivery arrives the next business day "
        "when ordered before 2 pm and costs 9.95. Orders placed on weekends are dispatched on "
        "Monday.\n\n"
        "We ship to 28 countries. International orders take 6 to 12 business days, and import "
        "duties are collected by the courier on delivery for countries outside the customs "
        "union. Some items, including batteries and aerosols, cannot be shipped abroad.\n\n"
        "Every parcel has a tracking number, emailed when the order leaves the warehouse. The "
        "tracking page updates within 24 hours of dispatch. If tracking has not changed for 5 "
        "business days, contact support and we will open an investigation with the courier.\n\n"
        "You can change the delivery address while the order status is Processing. Once the "
        "status is Dispatched, the address can only be changed through the courier's own "
        "redirection service, which may charge a fee."
    ),
    "sessions": (
        "Brightpath Tutoring sessions. Lessons last 30, 45 or 60 minutes and take place in our "
        "online classroom, which runs in any recent browser on a laptop or tablet with a camera "
        "and microphone. A link to the classroom appears on your dashboard 15 minutes before "
        "the session starts.\n\n"
        "You can reschedule or cancel a session for free up to 24 hours before it starts. Later "
        "cancellations are charged 50 percent of the session price, and a session missed "
        "without notice is charged in full. If a tutor misses a session, you receive a full "
        "credit and a 10 percent discount on your next booking.\n\n"
        "Prices depend on the subject and level: primary school subjects cost 28 per hour, "
        "secondary school subjects 35 per hour, and university-level or exam preparation "
        "sessions 48 per hour. Bundles of 10 sessions are 10 percent cheaper and remain valid "
        "for 6 months.\n\n"
        "Sessions are recorded only when both the student and, for students under 16, a parent "
        "agree. Recordings are kept for 30 days and can be watched from the dashboard."
    ),
    "tutors": (
        "Our tutors. Every Brightpath tutor holds a university degree in the subject they teach "
        "and passes a subject test, a teaching demonstration and a background check before their "
        "first lesson. About 40 percent are qualified school teachers.\n\n"
        "When you book for the first time, we suggest three tutors based on the subject, level, "
        "the times you are free and any learning needs you mention, such as dyslexia or ADHD. "
        "You can read each tutor's profile and reviews and pick one, or ask us to choose.\n\n"
        "You may change tutor at any time from the dashboard; the remaining sessions in a "
        "bundle move to the new tutor. Parents can follow progress through a monthly report "
        "with the topics covered, homework set and the tutor's notes.\n\n"
        "Tutors who want to join can apply from the Teach with us page. We currently look for "
        "chemistry, physics and computer science tutors for secondary and university levels."
    ),
}

# Which help page answers which intent, for the RAG ("help_search") feature.
RAG_INTENTS: dict[str, str] = {
    "return_policy": "returns",
    "start_return": "returns",
    "refund_time": "returns",
    "damaged_item": "returns",
    "shipping_cost": "shipping",
    "shipping_time": "shipping",
    "international_shipping": "shipping",
    "track_order": "shipping",
    "change_address": "shipping",
    "reschedule_session": "sessions",
    "cancel_session": "sessions",
    "session_price": "sessions",
    "recording": "sessions",
    "join_online": "sessions",
    "choose_tutor": "tutors",
    "change_tutor": "tutors",
    "tutor_qualifications": "tutors",
    "become_tutor": "tutors",
}

# Hard questions whose numbers change from one student to the next: near-identical
# wording, different answers. A cache must not serve one for another.
HARD_TEMPLATES: list[str] = [
    "A train leaves at {h}:{m2} at {a}0 km/h and a second train leaves the same station "
    "{b}0 minutes later at {c}0 km/h. When does the second train catch up? Show each step.",
    "Prove that {a}^n - 1 is divisible by {b} for every positive integer n, or find a "
    "counterexample and explain.",
    "Solve the system {a}x + {b}y = {c}, {b}x - {a}y = {d} and check the solution.",
    "A loan of {a},000 at {b}% yearly interest compounded monthly is repaid over {c} years. "
    "Derive the monthly payment.",
    "What is the probability of at least {b} heads in {c} tosses of a fair coin? Show the working.",
    "Find the area enclosed between y = x^2 and y = {a}x + {b}, step by step.",
    "Write a Python function that returns the {a} most frequent words of a text file of "
    "{b} GB without loading it into memory, and explain the complexity.",
    "A rectangle has perimeter {c} cm and its length is {a} cm more than its width. Find its "
    "area and explain each step.",
]

# One-off account questions: unique details, never worth caching.
ACCOUNT_TEMPLATES: list[str] = [
    "My order #{order} still says processing since {day}, can you check?",
    "Can you change the delivery date of order {order} to {day}?",
    "I was charged twice for order {order}, please refund one payment",
    "Is tutor {name} available on {day} at {hour}:00 for {subject}?",
    "Please move my {subject} lesson with {name} from {day} to the following week",
    "The {subject} homework {name} set on {day} has a question I don't understand",
    "Order {order}: the parcel was left at the wrong door, what now?",
]
NAMES = ["Amara", "Jonas", "Priya", "Mateo", "Hana", "Oskar", "Leila", "Tomasz", "Ines", "Kofi"]
SUBJECTS = ["maths", "physics", "chemistry", "English", "French", "biology", "history"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
