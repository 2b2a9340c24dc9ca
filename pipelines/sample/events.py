"""Sample awareness-campaign events: the CSV export and the iCalendar agenda.

Most events fall in the Festisol window (mid-November to early December). About
30% of the CSV events are also in the year's agenda (same UID), and a few
agenda events exist only there, with a free-text location to map.
"""

from __future__ import annotations

import functools
import itertools
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vCategory, vDDDTypes, vText

from pipelines.sample import vocab
from pipelines.sample.orgs import Org

PARIS = ZoneInfo("Europe/Paris")
DTSTAMP = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))  # fixed, so files are byte-identical
_DTSTAMP = vDDDTypes(DTSTAMP)
IN_WINDOW_SHARE = 0.86
IN_AGENDA_SHARE = 0.30
AGENDA_ONLY_SHARE = 0.05
UNRESOLVABLE_LOCATIONS = ("En ligne", "Lieu communiqué à l'inscription", "Chez l'habitant")
_COMMUNES = [(dep, c) for dep, cs in vocab.COMMUNES.items() for c in cs]


@dataclass
class SampleEvent:
    event_id: str
    title: str
    start: datetime
    end: datetime
    commune: tuple[str, str, str]  # (INSEE code, postcode, name)
    place: str
    organiser_siret: str
    organiser_name: str
    event_type: str
    audience: int
    young_audience: int
    in_csv: bool = True
    in_agenda: bool = False
    location_override: str | None = None  # unresolvable agenda location

    def location(self) -> str:
        if self.location_override:
            return self.location_override
        code, postcode, name = self.commune
        town = "Lyon" if code.startswith("6938") else name  # agendas write "69007 Lyon"
        return f"{self.place}, {postcode} {town}"


@functools.lru_cache(maxsize=None)
def _festival_days(year: int) -> tuple[tuple[date, ...], tuple[float, ...]]:
    first, last = (date.fromisoformat(d) for d in vocab.FESTISOL_WINDOWS[year])
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    # Weekends are busiest; the few December days are quieter.
    weights = tuple((1.8 if d.weekday() >= 5 else 1.0) * (0.5 if d.month == 12 else 1.0) for d in days)
    return days, tuple(itertools.accumulate(weights))


def _event_day(rng: random.Random, year: int) -> date:
    days, cum_weights = _festival_days(year)
    if rng.random() < IN_WINDOW_SHARE:
        return rng.choices(days, cum_weights=cum_weights)[0]
    while True:
        day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        if not days[0] <= day <= days[-1]:
            return day


class EventFactory:
    def __init__(self, seed: int, replica: int, orgs: list[Org]):
        self.seed = seed
        self.replica = replica
        by_type: dict[str, list[Org]] = {}
        for org in orgs:
            by_type.setdefault(org.org_type, []).append(org)
        shares = (("ong", 0.60), ("etablissement_scolaire", 0.15), ("collectivite", 0.10),
                  ("commerce_equitable", 0.10), ("autre", 0.05))
        # Cumulative weights computed once: drawing an organiser is the hot loop.
        self.pool_weights = list(itertools.accumulate(w for _, w in shares))
        self.pools = []
        for org_type, _share in shares:
            pool = by_type.get(org_type, [])
            self.pools.append((pool, list(itertools.accumulate(o.weight for o in pool))))

    def _organiser(self, rng: random.Random) -> Org:
        pool, cum_weights = rng.choices(self.pools, cum_weights=self.pool_weights)[0]
        return rng.choices(pool, cum_weights=cum_weights)[0]

    def events(self, year: int, first_index: int, agenda_index: int) -> list[SampleEvent]:
        rng = random.Random(f"{self.seed}:events:{year}:{self.replica}")
        out: list[SampleEvent] = []
        n = vocab.EVENTS_PER_YEAR[year]
        types = [t for t, _ in vocab.EVENT_TYPES]
        type_weights = [w for _, w in vocab.EVENT_TYPES]
        countries = [c[1] for c in vocab.COUNTRIES]
        for i in range(n + round(n * AGENDA_ONLY_SHARE)):
            agenda_only = i >= n
            org = self._organiser(rng)
            school = org.org_type == "etablissement_scolaire"
            if school and rng.random() < 0.7:
                event_type = "intervention_scolaire"
            else:
                event_type = rng.choices(types, type_weights)[0]
            template = rng.choice(vocab.EVENT_TITLES[event_type])
            title = template.format(topic=rng.choice(vocab.EVENT_TOPICS), country=rng.choice(countries))
            day = _event_day(rng, year)
            start = datetime(year, day.month, day.day, rng.choice((9, 10, 14, 15, 18, 19, 20)), rng.choice((0, 0, 30)))
            if event_type == "exposition":
                end = start + timedelta(days=rng.randint(2, 10), hours=2)
            else:
                end = start + timedelta(minutes=rng.choice((60, 90, 120, 120, 180, 240)))
            if rng.random() < 0.8:
                commune = (org.commune_code, org.postcode, org.commune_name)
            else:
                commune = rng.choice(_COMMUNES)[1]
            audience = max(5, int(rng.lognormvariate(3.6, 0.8)))
            if school or event_type == "intervention_scolaire":
                young_share = rng.uniform(0.75, 1.0)
            else:
                young_share = rng.betavariate(2, 5)
            collective = rng.random() < 0.08  # collectives without a SIRET organise some events
            town = commune[2].split(" ")[0]
            if agenda_only:
                event_id = f"agenda-{year}-{agenda_index:06d}@festisol-aura.example"
                agenda_index += 1
            else:
                event_id = f"EVT-{year}-{first_index:06d}"
                first_index += 1
            event = SampleEvent(
                event_id=event_id,
                title=title,
                start=start,
                end=end,
                commune=commune,
                place=rng.choice(vocab.PLACES),
                organiser_siret="" if collective else org.siret,
                organiser_name=f"Collectif Festisol {town}" if collective else org.name,
                event_type=event_type,
                audience=audience,
                young_audience=min(audience, round(audience * young_share)),
                in_csv=not agenda_only,
                in_agenda=agenda_only or rng.random() < IN_AGENDA_SHARE,
            )
            if agenda_only and rng.random() < 0.04:
                event.location_override = rng.choice(UNRESOLVABLE_LOCATIONS)
            out.append(event)
        out.sort(key=lambda e: (e.start, e.event_id))
        return out


def csv_row(e: SampleEvent) -> list[str]:
    return [
        e.event_id, e.title, e.start.isoformat(timespec="seconds"), e.end.isoformat(timespec="seconds"),
        e.commune[0], e.organiser_siret, e.organiser_name, e.event_type, str(e.audience), str(e.young_audience),
    ]


def calendar_head_and_tail(year: int) -> tuple[bytes, bytes]:
    """The VCALENDAR wrapper (with its VTIMEZONE) split around where the VEVENTs go.

    Serialising one VEVENT at a time keeps memory flat at large scales; the
    wrapper itself is still produced by icalendar.
    """
    cal = Calendar()
    cal.add("prodid", "-//Solidarity Impact//Sample agenda//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Festival des Solidarités Auvergne-Rhône-Alpes {year}")
    cal.add_component(Timezone.from_tzid("Europe/Paris", first_date=date(year, 1, 1), last_date=date(year + 1, 1, 1)))
    text = cal.to_ical()
    tail = b"END:VCALENDAR\r\n"
    assert text.endswith(tail)
    return text[: -len(tail)], tail


def vevent(e: SampleEvent) -> bytes:
    """One VEVENT, serialised by icalendar (values typed directly: `add` is slower)."""
    ev = Event()
    ev["UID"] = vText(e.event_id)
    ev["DTSTAMP"] = _DTSTAMP
    ev["DTSTART"] = vDDDTypes(e.start.replace(tzinfo=PARIS))
    ev["DTEND"] = vDDDTypes(e.end.replace(tzinfo=PARIS))
    ev["SUMMARY"] = vText(e.title)
    ev["LOCATION"] = vText(e.location())
    ev["CATEGORIES"] = vCategory([e.event_type])
    ascii_name = unicodedata.normalize("NFKD", e.organiser_name).encode("ascii", "ignore").decode()
    slug = "".join(ch for ch in ascii_name.lower() if ch.isalnum())[:30] or "contact"
    organiser = vCalAddress(f"mailto:contact@{slug}.example.org")
    organiser.params["CN"] = e.organiser_name
    ev["ORGANIZER"] = organiser
    return ev.to_ical(sorted=False)
