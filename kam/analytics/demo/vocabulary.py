"""The fixed vocabulary of the demo company: geography, industries, names and catalogue.

Kept apart from the generator so the numbers (weights, affinities, prices) can be read and
tuned in one place. Every list here is ordered; the generator indexes into it, so changing
an order changes what a seed produces.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """A country the supplier sells to, with its legal-form suffix and four site cities."""

    name: str
    legal_form: str
    cities: tuple[str, str, str, str]
    weight: float


@dataclass(frozen=True)
class SalesRegion:
    """A sales region: its share of customers and the countries in it."""

    name: str
    weight: float
    countries: tuple[Country, ...]


REGIONS: tuple[SalesRegion, ...] = (
    SalesRegion(
        "DACH",
        0.22,
        (
            Country("Germany", "GmbH", ("Munich", "Stuttgart", "Hamburg", "Cologne"), 0.70),
            Country("Austria", "GmbH", ("Vienna", "Graz", "Linz", "Salzburg"), 0.15),
            Country("Switzerland", "AG", ("Zurich", "Basel", "Bern", "Geneva"), 0.15),
        ),
    ),
    SalesRegion(
        "Nordics",
        0.10,
        (
            Country("Sweden", "AB", ("Stockholm", "Gothenburg", "Malmö", "Västerås"), 0.40),
            Country("Norway", "AS", ("Oslo", "Bergen", "Trondheim", "Stavanger"), 0.20),
            Country("Denmark", "A/S", ("Copenhagen", "Aarhus", "Odense", "Aalborg"), 0.20),
            Country("Finland", "Oy", ("Helsinki", "Tampere", "Turku", "Oulu"), 0.20),
        ),
    ),
    SalesRegion(
        "UK & Ireland",
        0.10,
        (
            Country("United Kingdom", "Ltd", ("London", "Birmingham", "Manchester", "Leeds"), 0.8),
            Country("Ireland", "Ltd", ("Dublin", "Cork", "Galway", "Limerick"), 0.2),
        ),
    ),
    SalesRegion(
        "France & Benelux",
        0.14,
        (
            Country("France", "SAS", ("Lyon", "Paris", "Toulouse", "Lille"), 0.55),
            Country("Netherlands", "B.V.", ("Rotterdam", "Eindhoven", "Utrecht", "Venlo"), 0.25),
            Country("Belgium", "NV", ("Antwerp", "Ghent", "Liège", "Brussels"), 0.15),
            Country("Luxembourg", "S.A.", ("Luxembourg", "Esch", "Differdange", "Dudelange"), 0.05),
        ),
    ),
    SalesRegion(
        "Southern Europe",
        0.12,
        (
            Country("Italy", "S.p.A.", ("Milan", "Turin", "Bologna", "Verona"), 0.45),
            Country("Spain", "S.L.", ("Barcelona", "Madrid", "Valencia", "Bilbao"), 0.35),
            Country("Portugal", "Lda", ("Porto", "Lisbon", "Braga", "Aveiro"), 0.12),
            Country("Greece", "S.A.", ("Athens", "Thessaloniki", "Patras", "Volos"), 0.08),
        ),
    ),
    SalesRegion(
        "North America",
        0.16,
        (
            Country("United States", "Inc.", ("Chicago", "Houston", "Detroit", "Atlanta"), 0.82),
            Country("Canada", "Inc.", ("Toronto", "Montreal", "Calgary", "Vancouver"), 0.18),
        ),
    ),
    SalesRegion(
        "Latin America",
        0.06,
        (
            Country("Brazil", "Ltda.", ("São Paulo", "Curitiba", "Campinas", "Recife"), 0.45),
            Country("Mexico", "S.A. de C.V.", ("Monterrey", "Querétaro", "Puebla", "Toluca"), 0.30),
            Country("Chile", "SpA", ("Santiago", "Antofagasta", "Valparaíso", "Concepción"), 0.13),
            Country("Colombia", "S.A.S.", ("Bogotá", "Medellín", "Cali", "Barranquilla"), 0.12),
        ),
    ),
    SalesRegion(
        "APAC",
        0.10,
        (
            Country("Japan", "K.K.", ("Osaka", "Nagoya", "Yokohama", "Kobe"), 0.25),
            Country("China", "Co., Ltd.", ("Shanghai", "Shenzhen", "Suzhou", "Tianjin"), 0.25),
            Country("Australia", "Pty Ltd", ("Sydney", "Melbourne", "Brisbane", "Perth"), 0.20),
            Country("Singapore", "Pte Ltd", ("Jurong", "Tuas", "Woodlands", "Changi"), 0.10),
            Country("India", "Pvt Ltd", ("Pune", "Chennai", "Bengaluru", "Ahmedabad"), 0.20),
        ),
    ),
)

# Industry segments, their share of customers and the words their company names use.
SEGMENTS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    (
        "Automotive",
        0.14,
        ("Automotive", "Motors", "Drive Systems", "Components", "Mobility", "Castings", "Axles"),
    ),
    (
        "Food & Beverage",
        0.12,
        ("Foods", "Dairy", "Beverages", "Bakeries", "Brewing", "Nutrition", "Fresh Produce"),
    ),
    (
        "Pharmaceuticals",
        0.07,
        ("Pharma", "Therapeutics", "Biologics", "Life Sciences", "Laboratories", "Generics"),
    ),
    (
        "Chemicals",
        0.09,
        ("Chemicals", "Polymers", "Coatings", "Resins", "Specialty Chemicals", "Adhesives"),
    ),
    (
        "Electronics",
        0.10,
        ("Electronics", "Semiconductors", "Circuits", "Photonics", "Devices", "Sensors"),
    ),
    (
        "Construction",
        0.13,
        ("Construction", "Building Systems", "Infrastructure", "Steel", "Concrete", "Timber"),
    ),
    (
        "Retail",
        0.09,
        ("Retail", "Stores", "Trading", "Wholesale", "Home & Garden", "Markets"),
    ),
    (
        "Energy",
        0.08,
        ("Energy", "Power", "Renewables", "Utilities", "Grid Services", "Wind"),
    ),
    (
        "Logistics",
        0.10,
        ("Logistics", "Freight", "Shipping", "Transport", "Warehousing", "Cargo"),
    ),
    (
        "Healthcare",
        0.08,
        ("Healthcare", "Medical", "Clinics", "Hospital Supply", "Diagnostics", "Care"),
    ),
)


def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of ``text``: long word lists read better as prose."""
    return tuple(text.split())


# The distinctive first word of a name: places, landscapes and made-up brands.
NAME_STEMS: tuple[str, ...] = _words(
    """Norrland Alpine Baltic Rhine Atlas Summit Falcon Meridian Orion Vega Aurora Cobalt
    Granite Harbor Keystone Lakeside Northgate Oakridge Pinnacle Redwood Silverline Stonebridge
    Trident Vanguard Westfield Zenith Apex Beacon Cascade Delta Elbe Fjord Glacier Highland
    Iberia Juno Kestrel Lumen Magellan Nordic Oberland Polaris Quantum Riviera Sierra Tundra
    Ulster Valor Weser Yukon Adler Bergmann Carlsson Dunmore Eastwood Fairbanks Gallant Hansa
    Ivory Jadeport Kronberg Lindqvist Marwick Nevis Oakmont Pemberton Rosenthal Saxon Thornbury
    Uplands Varberg Whitmore Ashcombe Blackwater Caledon Donau Emerald Fennwick Greystone Helvetia
    Isar Kingsbridge Lorraine Montclair Neckar Orwell Provence Ravensburg Solent Tessin Vistula
    Wexford Altamira Brightwater Coastline Danube Everest Frontier Goldcrest Horizon Ironwood
    Jutland Kinross Lakeland Midland Northwind Oceanic Pacifica Quarry Rockport Seaview Tasman
    Unity Verdant Wildrose Arden Brenner Corvus Dolomiti Edelweiss Fulcrum Gotland Halden Inntal
    Jasper Karelia Lofoten Matterhorn Nordkapp Odin Pyrenees Ridgeway Skagen Trollhaug Uppsala
    Valdor Wolfsberg Amber Bristol Carrara Drava Estrella Flint Garonne Hudson Indus Kaskade
    Loire Moselle Narvik Orkney Pilsen Rhone Saale Tagus Umbria Vesta Windmere Zephyr"""
) + tuple(  # and made-up place names, so a few thousand customers still read differently
    prefix + suffix
    for prefix in _words(
        "Nord Berg Alt Bel Cor Dan Fal Gran Hel Ken Lind Mar Ost Rav Sol Stein Tor"
    )
    for suffix in _words(
        "vik haven ton mark dal feld stad wood field bridge mont ford holm gate by"
    )
)

# Appended to a name core when the stem-and-word pairs run out (bigger demo companies).
NAME_MODIFIERS: tuple[str, ...] = (
    "",
    "Industries",
    "International",
    "Solutions",
    "Works",
    "Partners",
    "& Co",
    "Systems",
)

GROUP_SUFFIXES: tuple[str, ...] = ("Group", "Holding", "Group", "Holdings")

SITE_KINDS: tuple[str, ...] = (
    "Plant",
    "Warehouse",
    "Service Center",
    "Distribution Center",
    "R&D Center",
    "Office",
)


@dataclass(frozen=True)
class Category:
    """A product category: its products with list prices, and the list margin it carries."""

    name: str
    list_margin: float
    products: tuple[tuple[str, float], ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Fasteners",
        0.42,
        (
            ("Hex bolts M8 zinc (box of 100)", 18.5),
            ("Stainless screws A4 (box of 200)", 34.0),
            ("Anchor bolt kit", 52.0),
            ("Blind rivets 4.8 mm (box of 500)", 27.5),
            ("Threaded rod M12 1 m", 6.9),
            ("Lock nuts assortment", 41.0),
        ),
    ),
    Category(
        "Bearings & Power Transmission",
        0.38,
        (
            ("Deep groove ball bearing 6205", 14.2),
            ("Tapered roller bearing 32210", 48.0),
            ("V-belt SPZ 1250", 11.8),
            ("Roller chain 12B-1 (5 m)", 96.0),
            ("Flexible shaft coupling", 134.0),
            ("Helical gearbox 1.5 kW", 1480.0),
        ),
    ),
    Category(
        "Fluid Power",
        0.36,
        (
            ("Hydraulic hose assembly 1/2in", 38.0),
            ("Pneumatic cylinder 50x200", 162.0),
            ("Solenoid valve 5/2", 118.0),
            ("Gear pump 16 cc", 690.0),
            ("Push-in fittings (pack of 50)", 44.0),
        ),
    ),
    Category(
        "Electrical & Automation",
        0.33,
        (
            ("Inductive proximity sensor M18", 39.0),
            ("Contactor 32 A", 72.0),
            ("Variable frequency drive 4 kW", 910.0),
            ("Compact PLC starter kit", 1350.0),
            ("Control cable 5G1.5 (100 m)", 146.0),
            ("Cable ties UV (pack of 1000)", 23.0),
        ),
    ),
    Category(
        "Safety & PPE",
        0.45,
        (
            ("Cut-resistant gloves (12 pairs)", 46.0),
            ("Safety goggles anti-fog", 9.5),
            ("Hearing protection earmuffs", 21.0),
            ("Hi-vis jacket", 32.0),
            ("Fall arrest harness", 189.0),
            ("First aid station refill", 64.0),
        ),
    ),
    Category(
        "Packaging",
        0.30,
        (
            ("Stretch film 23 µm (6 rolls)", 58.0),
            ("Corrugated boxes 600x400 (bundle of 25)", 36.0),
            ("Pallet strapping kit", 112.0),
            ("Void fill paper roll", 49.0),
            ("Labels thermal 100x150 (roll)", 8.4),
        ),
    ),
    Category(
        "Lubricants & Chemicals",
        0.40,
        (
            ("Hydraulic oil HLP 46 (208 l)", 640.0),
            ("Multipurpose grease (18 kg)", 148.0),
            ("Food-grade lubricant spray", 17.5),
            ("Industrial degreaser (25 l)", 96.0),
            ("Thread locker medium strength", 14.9),
        ),
    ),
    Category(
        "Maintenance Services",
        0.55,
        (
            ("Preventive maintenance visit", 780.0),
            ("Vibration analysis survey", 1450.0),
            ("Technician hour", 92.0),
            ("Spare-parts stock management (month)", 1900.0),
            ("Safety inspection certificate", 340.0),
        ),
    ),
)

# How likely a customer in each segment is to buy each category (rows follow SEGMENTS,
# columns follow CATEGORIES). Zero-ish cells are the whitespace a KAM could go after.
SEGMENT_CATEGORY_AFFINITY: tuple[tuple[float, ...], ...] = (
    # Fast  Bear  Flui  Elec  Safe  Pack  Lubr  Serv
    (0.95, 0.90, 0.75, 0.70, 0.60, 0.35, 0.80, 0.45),  # Automotive
    (0.45, 0.55, 0.40, 0.45, 0.70, 0.95, 0.75, 0.40),  # Food & Beverage
    (0.30, 0.25, 0.35, 0.60, 0.85, 0.80, 0.30, 0.50),  # Pharmaceuticals
    (0.50, 0.55, 0.85, 0.55, 0.90, 0.60, 0.65, 0.55),  # Chemicals
    (0.70, 0.30, 0.25, 0.95, 0.55, 0.60, 0.25, 0.35),  # Electronics
    (0.95, 0.45, 0.60, 0.60, 0.95, 0.20, 0.50, 0.25),  # Construction
    (0.35, 0.15, 0.10, 0.35, 0.40, 0.95, 0.20, 0.15),  # Retail
    (0.70, 0.75, 0.80, 0.85, 0.85, 0.15, 0.70, 0.70),  # Energy
    (0.45, 0.60, 0.55, 0.40, 0.80, 0.90, 0.60, 0.35),  # Logistics
    (0.25, 0.15, 0.20, 0.50, 0.80, 0.70, 0.20, 0.45),  # Healthcare
)

# Relative invoiced volume per calendar month (January first): quiet in August and at
# year end, busy before the summer and in the autumn.
MONTH_SEASONALITY: tuple[float, ...] = (
    0.90,
    1.00,
    1.12,
    1.05,
    1.05,
    1.08,
    0.95,
    0.70,
    1.05,
    1.15,
    1.10,
    0.80,
)
