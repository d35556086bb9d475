"""Reference lists and the documented coefficients of the simulation.

Everything that ``docs/attrition_drivers.md`` quotes lives here, so that the
documentation and the code cannot drift apart silently: the test-suite checks the
documented numbers against these dataclasses.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

GENERATOR_NAME = "people_ml.synthetic"
GENERATOR_VERSION = "1.1.0"

TABLES = (
    "locations",
    "org_units",
    "pay_bands",
    "workers",
    "job_history",
    "compensation_history",
    "performance_ratings",
    "promotions",
    "terminations",
)

# --- coded values (the integer code is the position in the tuple) -----------------
FAMILIES = (
    "Engineering",
    "Sales",
    "Operations",
    "Finance",
    "People",
    "Marketing",
    "Support",
)
FAMILY_CODES = ("ENG", "SAL", "OPS", "FIN", "PPL", "MKT", "SUP")
GENDERS = ("Female", "Male", "Nonbinary", "Undisclosed")
ETHNICITIES = ("Group A", "Group B", "Group C", "Group D", "Group E", "Undisclosed")
JOB_EVENTS = ("hire", "rehire", "promotion", "transfer", "fte_change", "manager_change")
HIRE, REHIRE, PROMOTION, TRANSFER, FTE_CHANGE, MANAGER_CHANGE = range(6)
COMP_REASONS = ("hire", "rehire", "promotion", "market_adjustment", "merit")
C_HIRE, C_REHIRE, C_PROMOTION, C_MARKET, C_MERIT = range(5)
TERM_TYPES = ("voluntary", "involuntary")
VOLUNTARY, INVOLUNTARY = 0, 1
VOL_REASONS = (
    "Better pay",
    "Career growth",
    "Manager",
    "Relocation",
    "Personal",
    "Retirement",
)
INV_REASONS = ("Performance", "Misconduct", "Restructuring")
TERM_REASONS = VOL_REASONS + INV_REASONS
RATING_LABELS = (
    "Unsatisfactory",
    "Needs improvement",
    "Meets",
    "Exceeds",
    "Outstanding",
)
FTE_VALUES = (0.5, 0.8, 1.0)

# --- locations --------------------------------------------------------------------
# (name, ISO country, region, share of teams)
LOCATIONS = (
    ("New York", "US", "AMER", 0.17),
    ("San Francisco", "US", "AMER", 0.13),
    ("Austin", "US", "AMER", 0.11),
    ("Toronto", "CA", "AMER", 0.08),
    ("London", "GB", "EMEA", 0.13),
    ("Berlin", "DE", "EMEA", 0.08),
    ("Dublin", "IE", "EMEA", 0.07),
    ("Singapore", "SG", "APAC", 0.08),
    ("Sydney", "AU", "APAC", 0.06),
    ("Bangalore", "IN", "APAC", 0.09),
)

# --- organisation -------------------------------------------------------------------
COMPANY_NAME = "Northwind Synthetic Inc."
# (division name, job families of its departments, share of teams)
DIVISIONS = (
    ("Corporate", (3, 4), 0.13),
    ("Engineering", (0,), 0.30),
    ("Sales", (1,), 0.20),
    ("Customer Support", (6,), 0.15),
    ("Operations", (2,), 0.12),
    ("Marketing", (5,), 0.10),
)
DEPARTMENT_NAMES = {
    0: (
        "Platform",
        "Infrastructure",
        "Data",
        "Mobile",
        "Security",
        "Web",
        "Developer Tools",
        "Machine Learning",
    ),
    1: (
        "Enterprise Sales",
        "Mid-Market Sales",
        "SMB Sales",
        "Sales Development",
        "Partnerships",
        "Sales Operations",
    ),
    2: (
        "Supply Chain",
        "Facilities",
        "IT Operations",
        "Procurement",
        "Business Operations",
    ),
    3: ("Accounting", "FP&A", "Treasury", "Tax", "Internal Audit"),
    4: (
        "Talent Acquisition",
        "People Partners",
        "Learning & Development",
        "Total Rewards",
        "People Operations",
    ),
    5: ("Brand", "Product Marketing", "Growth Marketing", "Communications", "Events"),
    6: (
        "Customer Support",
        "Technical Support",
        "Customer Success",
        "Support Operations",
        "Onboarding",
    ),
}
TEAM_NAMES = (
    "Alpha",
    "Bravo",
    "Charlie",
    "Delta",
    "Echo",
    "Foxtrot",
    "Golf",
    "Hotel",
    "India",
    "Juliet",
    "Kilo",
    "Lima",
    "Mike",
    "November",
    "Oscar",
    "Papa",
    "Quebec",
    "Romeo",
    "Sierra",
    "Tango",
    "Uniform",
    "Victor",
    "Whiskey",
    "X-ray",
    "Yankee",
    "Zulu",
)

# --- synthetic names ----------------------------------------------------------------
FIRST_NAMES_F = (
    "Aisha",
    "Alice",
    "Amara",
    "Ana",
    "Anika",
    "Beatriz",
    "Camila",
    "Chen",
    "Chloe",
    "Daniela",
    "Elena",
    "Emma",
    "Fatima",
    "Freya",
    "Grace",
    "Hana",
    "Ines",
    "Isabel",
    "Jia",
    "Julia",
    "Kavya",
    "Keiko",
    "Lara",
    "Leila",
    "Lucia",
    "Maya",
    "Mei",
    "Nadia",
    "Naomi",
    "Nia",
    "Olivia",
    "Priya",
    "Rosa",
    "Sara",
    "Sofia",
    "Tara",
    "Valentina",
    "Yara",
    "Zainab",
    "Zoe",
)
FIRST_NAMES_M = (
    "Adam",
    "Ahmed",
    "Alejandro",
    "Amir",
    "Arjun",
    "Ben",
    "Carlos",
    "Daniel",
    "David",
    "Diego",
    "Emeka",
    "Ethan",
    "Felix",
    "Hiro",
    "Ivan",
    "Jakob",
    "James",
    "Jun",
    "Kai",
    "Kwame",
    "Liam",
    "Lucas",
    "Luis",
    "Marco",
    "Mateo",
    "Mohammed",
    "Noah",
    "Omar",
    "Oscar",
    "Pavel",
    "Rahul",
    "Ravi",
    "Samuel",
    "Sanjay",
    "Tariq",
    "Tom",
    "Victor",
    "Wei",
    "Yusuf",
    "Zhang",
)
FIRST_NAMES_N = (
    "Alex",
    "Ari",
    "Avery",
    "Casey",
    "Charlie",
    "Dakota",
    "Eden",
    "Jordan",
    "Kim",
    "Morgan",
    "Quinn",
    "Reese",
    "Riley",
    "Robin",
    "Rowan",
    "Sam",
    "Sasha",
    "Taylor",
)
LAST_NAMES = (
    "Abara",
    "Adeyemi",
    "Ahmed",
    "Alvarez",
    "Andersen",
    "Bauer",
    "Becker",
    "Bianchi",
    "Brown",
    "Campbell",
    "Chen",
    "Cohen",
    "Costa",
    "Das",
    "Dubois",
    "Dunn",
    "Eriksen",
    "Fernandes",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Hansen",
    "Hernandez",
    "Hoang",
    "Ibrahim",
    "Ito",
    "Ivanova",
    "Jansen",
    "Johnson",
    "Kaur",
    "Khan",
    "Kim",
    "Kowalski",
    "Kumar",
    "Larsen",
    "Lee",
    "Lopez",
    "Mahlangu",
    "Martin",
    "Mensah",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Nowak",
    "Okafor",
    "Oliveira",
    "Olsen",
    "Park",
    "Patel",
    "Perez",
    "Petrov",
    "Quinn",
    "Rahman",
    "Reddy",
    "Rossi",
    "Santos",
    "Sato",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Torres",
    "Tran",
    "Van Dijk",
    "Wang",
    "Weber",
    "Williams",
    "Wilson",
    "Wong",
    "Yamamoto",
    "Yilmaz",
    "Zhang",
    "Zhou",
)


# The attrition drivers, in the order of AttritionCoefficients and of the
# simulation panel's columns (docs/attrition_drivers.md).
ATTRITION_DRIVERS = (
    "pay_gap",
    "years_in_level",
    "manager_change",
    "low_rating",
    "top_rating",
    "first_year",
    "second_year",
)


@dataclass(frozen=True)
class AttritionCoefficients:
    """The documented monthly voluntary-exit hazard.

    ``logit(h) = base + pay * pay_gap + years_in_level * min(years_in_level, 6)
    + manager_change * manager_changed_6m + low_rating * [rating <= 2]
    + top_rating * [rating == 5] + first_year * [tenure < 12 months]
    + second_year * [12 <= tenure < 24 months] + frailty``, with
    ``pay_gap = max(0, 1 - compa_ratio) / 0.1`` and a person-level
    ``frailty ~ N(0, frailty_sd)``. All drivers are measured on the last day of the
    previous month (see ``docs/attrition_drivers.md``). Protected attributes never
    enter it.
    """

    base: float = -7.20
    pay: float = 1.60
    years_in_level: float = 0.08
    years_in_level_cap: float = 6.0
    manager_change: float = 1.70
    low_rating: float = 1.30
    top_rating: float = 0.70
    first_year: float = 2.40
    second_year: float = 1.20
    frailty_sd: float = 0.25

    def odds_ratios(self) -> dict[str, float]:
        """Odds ratio per unit of every driver (``exp`` of its coefficient)."""
        skip = {"base", "years_in_level_cap", "frailty_sd"}
        return {k: float(np.exp(v)) for k, v in asdict(self).items() if k not in skip}


@dataclass(frozen=True)
class InvoluntaryCoefficients:
    """Monthly involuntary-exit hazard: performance exits plus restructuring.

    ``h = restructuring + 1 / (1 + exp(-(base + rating_1 * [rating == 1]
    + rating_2 * [rating == 2])))``.
    """

    base: float = -7.20
    rating_1: float = 3.00
    rating_2: float = 1.60
    restructuring: float = 0.0003
    misconduct_share_low: float = 0.10
    misconduct_share_other: float = 0.60


@dataclass(frozen=True)
class PayPolicy:
    """Offers, bands and raises; the protected-attribute pay path is here."""

    band_increase: float = 0.03
    band_increase_sd: float = 0.005
    band_spread: float = 0.20
    level_multipliers: tuple[float, ...] = (1.0, 1.2, 1.44, 1.75, 2.15, 2.7, 3.6)
    # level-1 midpoints in 2023 USD, one per job family (FAMILIES order)
    level1_midpoints: tuple[float, ...] = (
        95_000,
        70_000,
        60_000,
        72_000,
        62_000,
        68_000,
        50_000,
    )
    reference_year: int = 2023
    offer_mean: float = 0.0
    offer_sd: float = 0.06
    # the protected-attribute path: offers are multiplied by these factors
    offer_factor_gender: tuple[float, ...] = (0.96, 1.0, 0.96, 1.0)
    offer_factor_ethnicity: tuple[float, ...] = (1.0, 1.0, 0.97, 0.97, 1.0, 1.0)
    merit_by_rating: tuple[float, ...] = (0.0, 0.01, 0.03, 0.045, 0.06)
    merit_unrated: float = 0.025
    merit_sd: float = 0.005
    promotion_raise: tuple[float, float] = (0.08, 0.12)
    rehire_raise: tuple[float, float] = (0.05, 0.15)


@dataclass(frozen=True)
class WorkforcePolicy:
    """Everything else: hiring, promotions, moves, ratings."""

    growth_per_year: float = 0.02
    monthly_fill_rate: float = 0.55
    promotion_base: float = -3.2
    promotion_rating: float = 1.0
    promotion_years_in_level: float = 0.35
    transfer_rate: float = 0.004
    fte_change_rate: float = 0.0015
    reorg_rate: float = 0.01
    internal_successor_share: float = 0.6
    rehire_rate: float = 0.0015
    rehire_window_months: tuple[int, int] = (3, 36)
    rating_cuts: tuple[float, ...] = (-1.645, -0.842, 0.524, 1.405)
    rating_signal: float = 0.75
    hire_level_probs: tuple[float, ...] = (0.30, 0.38, 0.24, 0.08)
    remote_share: float = 0.18
    fte_probs: tuple[float, ...] = (0.03, 0.05, 0.92)
    founded_years_before_start: int = 35
    tenure_mean_years: float = 5.0
    ethnicity_probs: tuple[float, ...] = (0.42, 0.20, 0.16, 0.10, 0.06, 0.06)
    # female share per job family (FAMILIES order); Nonbinary and Undisclosed fixed
    female_share: tuple[float, ...] = (0.28, 0.42, 0.40, 0.50, 0.72, 0.58, 0.55)
    nonbinary_share: float = 0.015
    undisclosed_share: float = 0.025


@dataclass(frozen=True)
class SimulationConfig:
    """All coefficient groups; the defaults are the documented ground truth."""

    attrition: AttritionCoefficients = field(default_factory=AttritionCoefficients)
    involuntary: InvoluntaryCoefficients = field(
        default_factory=InvoluntaryCoefficients
    )
    pay: PayPolicy = field(default_factory=PayPolicy)
    workforce: WorkforcePolicy = field(default_factory=WorkforcePolicy)


DEFAULT_CONFIG = SimulationConfig()
DEFAULT_ATTRITION = DEFAULT_CONFIG.attrition
