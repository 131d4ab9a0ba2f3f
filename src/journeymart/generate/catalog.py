"""The demo company's fixed cast: ad accounts, campaigns, traffic sources, names.

Everything here is static data; what varies by seed (spend, flights, people) lives in
plan.py and simulation.py. Budgets are per day at the reference size of 10,000 people and in
the account's own currency; the plan scales them with the population.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_PEOPLE = 10_000
SITE = "https://shop.example.com"
NY = "America/New_York"


@dataclass(frozen=True)
class Traffic:
    """How a visit from one source looks in GA4 and in AppsFlyer, and whose it is."""

    channel: str | None  # registry channel id that paid for it (None: direct/organic/referral)
    source: str
    medium: str
    campaign: str
    gclid: bool
    landing: str  # path of the landing page
    app_media_source: str
    app_channel: str


# Fixed traffic sources first; every ad line appends its own (see TRAFFIC below).
DIRECT, ORGANIC, BLOG, REFERRAL, EMAIL = range(5)
BASE_TRAFFIC: tuple[Traffic, ...] = (
    Traffic(None, "(direct)", "(none)", "(direct)", False, "/", "organic", ""),
    Traffic(None, "google", "organic", "(organic)", False, "/", "organic", ""),
    Traffic("content", "google", "organic", "(organic)", False, "/blog/", "organic", ""),
    Traffic(None, "friend", "referral", "refer-a-friend", False, "/refer/", "organic", ""),
    Traffic("email", "newsletter", "email", "newsletter", False, "/", "Email", "Email"),
)


@dataclass(frozen=True)
class AdLine:
    """One row-grain of an ad platform's daily report (campaign, ad set or ad)."""

    channel: str
    campaign_id: str
    campaign_name: str
    row_id: str  # campaign_id (Google, LinkedIn), adset_id (Meta), ad_id (TikTok)
    row_name: str
    group_name: str  # Meta campaign / LinkedIn campaign group / TikTok ad group
    type: str  # SEARCH / VIDEO / DISPLAY, "Sponsored Content", ...
    role: str  # "prospecting" brings new people; "retargeting" brings them back
    base_daily: float  # account currency per day at REFERENCE_PEOPLE
    flighted: bool  # on/off bursts rather than always-on
    cpm: float  # account currency per 1000 impressions
    source: str
    medium: str
    gclid: bool
    landing: str
    app_media_source: str
    app_channel: str


AD_LINES: tuple[AdLine, ...] = (
    AdLine("google_ads", "20311001", "Search - Brand", "20311001", "Search - Brand", "", "SEARCH",
           "prospecting", 160.0, False, 38.0, "google", "cpc", True, "/", "googleadwords_int", "ACI_Search"),
    AdLine("google_ads", "20311002", "Search - Generic", "20311002", "Search - Generic", "", "SEARCH",
           "prospecting", 430.0, False, 45.0, "google", "cpc", True, "/collections/", "googleadwords_int", "ACI_Search"),
    AdLine("google_ads", "20311003", "Display - Remarketing", "20311003", "Display - Remarketing", "",
           "DISPLAY", "retargeting", 120.0, False, 3.5, "google", "cpc", True, "/", "googleadwords_int", "ACI_Display"),
    AdLine("google_ads", "20311004", "YouTube - Awareness", "20311004", "YouTube - Awareness", "", "VIDEO",
           "prospecting", 420.0, True, 9.0, "youtube", "video", False, "/", "googleadwords_int", "ACI_Youtube"),
    AdLine("meta_ads", "120210000000101", "Prospecting - Broad", "120210000000111", "Broad 25-54",
           "Prospecting - Broad", "OUTCOME_AWARENESS", "prospecting", 1350.0, False, 6.5, "facebook",
           "paid_social", False, "/", "Facebook Ads", "Facebook"),
    AdLine("meta_ads", "120210000000101", "Prospecting - Broad", "120210000000112", "Lookalike 1% Purchasers",
           "Prospecting - Broad", "OUTCOME_AWARENESS", "prospecting", 900.0, True, 8.0, "facebook",
           "paid_social", False, "/", "Facebook Ads", "Instagram"),
    AdLine("meta_ads", "120210000000102", "Retargeting - Site Visitors", "120210000000121",
           "Site Visitors 30d", "Retargeting - Site Visitors", "OUTCOME_SALES", "retargeting", 520.0, False,
           11.0, "facebook", "paid_social", False, "/cart/", "Facebook Ads", "Facebook"),
    AdLine("linkedin_ads", "615200101", "Sponsored Content - Decision Makers", "615200101",
           "Sponsored Content - Decision Makers", "Always-on Demand", "Sponsored Content", "prospecting",
           430.0, False, 28.0, "linkedin", "paid_social", False, "/business/", "linkedin_int", "LinkedIn"),
    AdLine("linkedin_ads", "615200102", "Text Ads - Brand", "615200102", "Text Ads - Brand",
           "Always-on Demand", "Text Ad", "prospecting", 190.0, True, 12.0, "linkedin", "paid_social",
           False, "/business/", "linkedin_int", "LinkedIn"),
    AdLine("tiktok_ads", "1790000000001", "Awareness - Spark Ads", "1790000000011", "Spark Ad - Unboxing",
           "Spark - Broad 18-34", "AWARENESS", "prospecting", 520.0, False, 5.0, "tiktok", "paid_social",
           False, "/", "tiktokglobal_int", "TikTok"),
    AdLine("tiktok_ads", "1790000000001", "Awareness - Spark Ads", "1790000000012",
           "Spark Ad - Creator Review", "Spark - Broad 18-34", "AWARENESS", "prospecting", 430.0, True, 5.5,
           "tiktok", "paid_social", False, "/", "tiktokglobal_int", "TikTok"),
    AdLine("tiktok_ads", "1790000000002", "Traffic - Always On", "1790000000021", "In-Feed - Promo",
           "In-Feed - Interests", "TRAFFIC", "prospecting", 300.0, False, 7.0, "tiktok", "paid_social",
           False, "/collections/", "tiktokglobal_int", "TikTok"),
)

TRAFFIC: tuple[Traffic, ...] = BASE_TRAFFIC + tuple(
    Traffic(a.channel, a.source, a.medium, a.campaign_name, a.gclid, a.landing, a.app_media_source,
            a.app_channel)
    for a in AD_LINES
)
AD_TRAFFIC_OFFSET = len(BASE_TRAFFIC)  # TRAFFIC index of AD_LINES[k] is AD_TRAFFIC_OFFSET + k

# Platform accounts (ids and display names as the platforms show them).
ACCOUNTS = {
    "google_ads": {"id": "4821937560", "name": "Journeymart US"},
    "meta_ads": {"id": "361744628296290", "name": "Journeymart EU"},
    "linkedin_ads": {"id": "508231947", "name": "Journeymart UK"},
    "tiktok_ads": {"id": "7012345678901234567", "name": "Journeymart US"},
    "youtube": {"id": "UCj0urn3ym4rtD3m0Ch4nnel"},
    "mmp": {"ios": "id1542398761", "android": "com.journeymart.app"},
    "email": {"list_id": "a1b2c3d4e5"},
}

# Offline media vehicles: (media type, market, vehicles, net USD/day at reference size while
# on air, flight length range, gap range, spots per day, cost per rating point at reference).
OFFLINE_VEHICLES = (
    ("TV", "National", ("NBC", "CBS", "ABC"), 9000.0, (7, 21), (3, 12), 5.0, 420.0),
    ("Radio", "New York DMA", ("WNYC", "WCBS 880"), 1500.0, (7, 14), (2, 10), 14.0, 110.0),
    ("Print", "National", ("The Atlantic", "Wired"), 1800.0, (3, 7), (5, 20), 0.3, 280.0),
)
AGENCY = "Northstar Media"
AGENCY_COMMISSION = 0.15

EVENT_CITIES = (
    ("Berlin", "EUR", "Europe/Berlin"),
    ("New York", "USD", NY),
    ("Amsterdam", "EUR", "Europe/Berlin"),
    ("Chicago", "USD", "America/Chicago"),
    ("Munich", "EUR", "Europe/Berlin"),
)
EVENT_NAMES = ("Retail Marketing Summit", "CX Expo", "Commerce Next", "Brand & Loyalty Forum")
EVENT_COST_SPLIT = (("Booth & venue", 0.50), ("Travel", 0.15), ("Catering", 0.12),
                    ("Swag & print", 0.10), ("Staffing", 0.13))
EVENT_DAILY_COST = 12_000.0  # event currency per event day at reference size

CONTENT_TYPES = ("blog_series", "video", "whitepaper", "podcast", "case_study")
CONTENT_VENDORS = ("Inkwell Studio", "Brightframe Films", "Copyhouse", "In-house")
CONTENT_TOPICS = ("Buying guide", "Care & repair", "Behind the seams", "Customer stories",
                  "Style notes", "Sustainability report")

WEBINAR_TOPICS = ("Getting more from your Journeymart account", "Spring collection preview",
                  "Care tips from our designers", "Ask the team: sizing and fit",
                  "Loyalty programme explained")

EMAIL_COST_PER_EMAIL_MICROS = 900  # USD 0.90 per 1000 e-mails

FIRST_NAMES = (
    "anna", "ben", "carla", "david", "emma", "felix", "greta", "hugo", "ines", "jonas", "karla",
    "leon", "maria", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara", "umar", "vera",
    "will", "xenia", "yusuf", "zoe", "liam", "mia", "lucas", "sofia", "elias", "lena", "oscar",
    "ella", "max", "hannah", "jack", "chloe", "leo", "amelia", "finn", "isla", "theo", "ruby",
)
LAST_NAMES = (
    "smith", "mueller", "jones", "schmidt", "brown", "schneider", "taylor", "fischer", "wilson",
    "weber", "davies", "meyer", "evans", "wagner", "thomas", "becker", "johnson", "hoffmann",
    "roberts", "koch", "walker", "richter", "wright", "klein", "robinson", "wolf", "thompson",
    "neumann", "white", "schwarz", "hughes", "braun", "green", "hartmann", "hall", "lange",
)
COMPANIES = ("Acme Retail", "Northwind", "Globex", "Initech", "Umbrella Goods", "Stark Apparel",
             "Wayne Outfitters", "Hooli Home", "Vandelay Imports", "Soylent Stores")
JOB_TITLES = ("Marketing Manager", "Head of E-commerce", "Buyer", "CMO", "Store Manager",
              "Brand Lead", "CRM Specialist", "Founder")

# People's home markets: (GA4 country name, ISO code, app revenue currency, share of people).
COUNTRIES = (("United States", "US", "USD", 0.62), ("Germany", "DE", "EUR", 0.23),
             ("United Kingdom", "GB", "GBP", 0.15))
DEVICES = (("desktop", "Windows", "Chrome"), ("mobile", "iOS", "Safari"),
           ("mobile", "Android", "Chrome"), ("tablet", "iOS", "Safari"))

TICKET_SUBJECTS = ("Where is my order?", "Return request", "Wrong size delivered",
                   "Discount code not working", "Change delivery address", "Damaged item")
REVIEW_TITLES = {5: "Love it", 4: "Very good", 3: "Okay overall", 2: "Not as expected", 1: "Disappointed"}
DISCOUNT_CODES = ("", "WELCOME10", "EMAIL15", "FRIEND20")
