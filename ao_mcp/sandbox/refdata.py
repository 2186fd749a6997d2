"""Static tables the generator draws from: countries, names, devices, course titles.

Kept apart from the generator so the data reads as data. Country codes are ISO
3166-1 alpha-2 with their English short names, as AcademyOcean reports them.
"""

from __future__ import annotations

__all__ = [
    "ACADEMY_NAMES",
    "BROWSERS",
    "COMPANIES",
    "COUNTRIES",
    "COURSE_TOPICS",
    "FIRST_NAMES",
    "LAST_NAMES",
    "LESSON_TITLES",
    "PLATFORMS",
    "QUESTION_TYPES",
    "TEAM_NAMES",
]

#: (iso code, name, relative weight, cities)
COUNTRIES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("US", "United States", 30, ("Los Angeles", "New York", "Chicago", "Austin", "Seattle")),
    ("GB", "United Kingdom", 10, ("London", "Manchester", "Edinburgh", "Bristol")),
    ("DE", "Germany", 8, ("Berlin", "Munich", "Hamburg", "Cologne")),
    ("FR", "France", 6, ("Paris", "Lyon", "Marseille", "Toulouse")),
    ("UA", "Ukraine", 6, ("Kyiv", "Lviv", "Kharkiv", "Odesa")),
    ("CA", "Canada", 5, ("Toronto", "Vancouver", "Montreal")),
    ("IN", "India", 5, ("Bengaluru", "Mumbai", "Delhi", "Pune")),
    ("PL", "Poland", 4, ("Warsaw", "Krakow", "Wroclaw")),
    ("NL", "Netherlands", 3, ("Amsterdam", "Rotterdam", "Utrecht")),
    ("ES", "Spain", 3, ("Madrid", "Barcelona", "Valencia")),
    ("IT", "Italy", 3, ("Rome", "Milan", "Turin")),
    ("BR", "Brazil", 3, ("Sao Paulo", "Rio de Janeiro", "Curitiba")),
    ("AU", "Australia", 3, ("Sydney", "Melbourne", "Brisbane")),
    ("SE", "Sweden", 2, ("Stockholm", "Gothenburg")),
    ("NO", "Norway", 1, ("Oslo", "Bergen")),
    ("DK", "Denmark", 1, ("Copenhagen", "Aarhus")),
    ("FI", "Finland", 1, ("Helsinki", "Espoo")),
    ("IE", "Ireland", 1, ("Dublin", "Cork")),
    ("PT", "Portugal", 1, ("Lisbon", "Porto")),
    ("CZ", "Czechia", 1, ("Prague", "Brno")),
    ("AT", "Austria", 1, ("Vienna", "Graz")),
    ("CH", "Switzerland", 1, ("Zurich", "Geneva")),
    ("JP", "Japan", 2, ("Tokyo", "Osaka")),
    ("KR", "Korea, Republic of", 1, ("Seoul", "Busan")),
    ("SG", "Singapore", 1, ("Singapore",)),
    ("MX", "Mexico", 2, ("Mexico City", "Guadalajara")),
    ("AR", "Argentina", 1, ("Buenos Aires", "Cordoba")),
    ("ZA", "South Africa", 1, ("Cape Town", "Johannesburg")),
    ("NG", "Nigeria", 1, ("Lagos", "Abuja")),
    ("EG", "Egypt", 1, ("Cairo", "Alexandria")),
    ("IL", "Israel", 1, ("Tel Aviv", "Haifa")),
    ("TR", "Turkey", 1, ("Istanbul", "Ankara")),
    ("NZ", "New Zealand", 1, ("Auckland", "Wellington")),
    ("EE", "Estonia", 1, ("Tallinn", "Tartu")),
)

FIRST_NAMES: tuple[str, ...] = (
    "John", "Maria", "Olena", "James", "Anna", "Liam", "Sofia", "Noah", "Emma", "Lucas",
    "Mia", "Oliver", "Ava", "Elijah", "Chloe", "Mateo", "Yuki", "Aarav", "Ines", "Taras",
    "Hannah", "Leon", "Zoe", "Ethan", "Nora", "Omar", "Priya", "Jonas", "Clara", "Diego",
    "Freya", "Hugo", "Iryna", "Kenji", "Lea", "Marco", "Nina", "Pablo", "Rosa", "Sven",
)

LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Kovalenko", "Brown", "Garcia", "Muller", "Martin", "Rossi", "Silva",
    "Nowak", "Jansen", "Tanaka", "Kim", "Patel", "Shevchenko", "Dubois", "Lopez", "Andersen",
    "Novak", "Schmidt", "Wilson", "Taylor", "Moreau", "Costa", "Fischer", "Ivanova", "Sato",
    "Larsen", "Murphy", "Walsh", "Bondar", "Fernandez", "Weber", "Klein", "Hughes", "Berg",
)

#: Company sites; ``None`` entries make "no company" common, as in real academies.
COMPANIES: tuple[str | None, ...] = (
    None, None, None, "https://academyocean.com", "https://acme.example.com",
    "https://globex.example.com", "https://initech.example.com", "https://umbrella.example.org",
    "https://hooli.example.com", "https://stark.example.net", "https://wayne.example.org",
    "https://vandelay.example.com",
)

#: (os, device, browser choices)
PLATFORMS: tuple[tuple[str, str], ...] = (
    ("OS X", "Macintosh"),
    ("Windows", "WebKit"),
    ("Windows", "WebKit"),
    ("Linux", "WebKit"),
    ("iOS", "iPhone"),
    ("AndroidOS", "Samsung"),
    ("AndroidOS", "Pixel"),
    ("iOS", "iPad"),
)

BROWSERS: tuple[str, ...] = ("Chrome", "Chrome", "Chrome", "Safari", "Firefox", "Edge", "Opera")

ACADEMY_NAMES: tuple[str, ...] = (
    "Ocean Academy",
    "Partner Academy",
    "Support Academy",
    "Sales Enablement Academy",
    "Customer Success Academy",
)

TEAM_NAMES: tuple[str, ...] = (
    "Sales", "Support", "Partners", "Engineering", "Onboarding", "Marketing", "Leadership",
    "Resellers", "Customer Success",
)

COURSE_TOPICS: tuple[str, ...] = (
    "Getting Started",
    "Product Fundamentals",
    "Advanced Reporting",
    "Security Basics",
    "Customer Onboarding",
    "Sales Playbook",
    "Support Essentials",
    "API Integration",
    "Data Privacy",
    "Leadership Skills",
    "Effective Communication",
    "Partner Certification",
    "Billing and Invoicing",
    "Troubleshooting",
    "Release Highlights",
)

LESSON_TITLES: tuple[str, ...] = (
    "Welcome", "Overview", "Key Concepts", "First Steps", "Hands-on Practice", "Deep Dive",
    "Best Practices", "Common Mistakes", "Case Study", "Tips and Tricks", "Summary",
    "Next Steps", "Setup", "Configuration", "Workflows",
)

QUESTION_TYPES: tuple[str, ...] = ("checkbox", "radio", "text", "radio", "checkbox")
