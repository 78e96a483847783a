"""Deterministic population base of the GridGov demo district.

EVERYTHING HERE IS INVENTED DEMO DATA. Property companies, compounds,
buildings, households and residents do not exist; names come from Faker's
zh_CN lists, phone numbers and identity numbers are random (identity numbers
are merely well-formed: valid region prefix, date, sequence and check
character). Any resemblance to real people, companies or numbers is
coincidental.

Built on top of ``build_demo_district()`` (pure Python + shapely + Faker, no
database):

* a handful of property companies;
* one compound (小区) in every residential/mixed cell of 天桥街道 and in some
  other cells, each a polygon strictly inside its cell;
* buildings as points strictly inside their cell (inside the compound for
  compound buildings);
* households in building units/rooms, a few in single-storey houses (平房)
  without a building;
* residents in households, a householder first, with ages that fit their
  relation, genders that match their identity numbers, unique phones, kinds
  (户籍/流动/境外/留守) and tags at plausible rates;
* party-member household links (党员联户) inside a cell.

A fixed seed makes the output identical on every call.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

import shapely
from faker import Faker
from shapely.geometry import MultiPolygon, Point, Polygon, box

from api.demo.geography import CellSpec, CommunitySpec, DistrictSpec, build_demo_district
from api.population.identity import PHONE_RE, check_character

__all__ = [
    "PropertyCompanySpec",
    "CompoundSpec",
    "BuildingSpec",
    "HouseholdSpec",
    "ResidentSpec",
    "PartyLinkSpec",
    "PopulationSpec",
    "build_demo_population",
]


@dataclass(frozen=True)
class PropertyCompanySpec:
    key: str
    name: str
    phone: str


@dataclass(frozen=True)
class CompoundSpec:
    key: str
    community_code: str
    name: str
    boundary: MultiPolygon  # WGS-84, strictly inside one cell of the community
    property_company_key: str | None
    owners_committee_name: str | None
    owners_committee_chair: str | None
    owners_committee_phone: str | None


@dataclass(frozen=True)
class BuildingSpec:
    key: str
    cell_code: str
    compound_key: str | None
    name: str
    address: str
    lng: float
    lat: float
    floors: int
    units: int


@dataclass(frozen=True)
class HouseholdSpec:
    key: str
    cell_code: str
    building_key: str | None  # None for single-storey houses (平房)
    unit: str | None
    room: str | None
    address: str


@dataclass(frozen=True)
class ResidentSpec:
    key: str
    household_key: str
    cell_code: str
    name: str
    gender: str  # "male" / "female", consistent with id_number
    id_number: str
    phone: str | None
    kind: str  # "registered", "migrant", "foreign", "left_behind" (户籍/流动/境外/留守)
    tags: tuple[str, ...]
    relation: str  # "householder", "spouse", "child", "parent", "other"


@dataclass(frozen=True)
class PartyLinkSpec:
    resident_key: str
    household_key: str


@dataclass(frozen=True)
class PopulationSpec:
    property_companies: tuple[PropertyCompanySpec, ...]
    compounds: tuple[CompoundSpec, ...]
    buildings: tuple[BuildingSpec, ...]
    households: tuple[HouseholdSpec, ...]
    residents: tuple[ResidentSpec, ...]
    party_links: tuple[PartyLinkSpec, ...]


# Ages are computed against a fixed date (not today) so the output never
# changes; it lies in the past, so every birth date validates.
REFERENCE_DATE = datetime.date(2026, 1, 1)

LOCAL_REGION = "411104"
# Other Luohe districts: registered residents occasionally carry them.
NEARBY_REGIONS = ("411102", "411103")
# Prefecture/county codes migrants come from (Henan neighbours and a few provinces away).
MIGRANT_REGIONS = (
    "410102", "410105", "410302", "411302", "411402", "411502", "412701", "412801",
    "340102", "341202", "420102", "370102", "320102", "510104", "130102",
)  # fmt: skip
FOREIGN_REGIONS = ("110105", "310115", "440305")  # demo only, see ResidentSpec.kind

# Invented names; "物业服务有限公司" is the usual legal form of a property company.
PROPERTY_COMPANY_NAMES = (
    "漯河澧水湾物业服务有限公司",
    "召陵嘉禾苑物业服务有限公司",
    "河南恒信安居物业服务有限公司",
    "漯河锦程时代物业服务有限公司",
    "沙澧颐和物业服务有限公司",
)
COMPOUND_PREFIXES = (
    "嘉禾", "锦绣", "康宁", "金桂", "丽景", "翠柳", "和园", "书香", "阳光", "福泽",
    "润泽", "怡景", "颐和", "澧滨", "紫薇", "芳华", "东篱", "清风", "鸿福", "汇景",
    "长乐", "安澜", "兰亭", "泰和", "瑞祥", "荷塘", "梧桐", "沁园", "明德", "祥和",
)  # fmt: skip
COMPOUND_SUFFIXES = ("苑", "小区", "家园", "花园", "名邸", "新城")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "175", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)  # fmt: skip
# Generic transliterated names for the few foreign residents, by gender.
FOREIGN_NAMES = {
    "male": ("约翰·史密斯", "伊万·彼得罗夫", "阮文雄", "金俊浩", "卡洛斯·门德斯"),
    "female": ("玛丽亚·加西亚", "安娜·施密特", "阮氏兰", "朴秀晶", "苏菲·马丁"),
}

# Relative share of the residents target per cell kind.
KIND_WEIGHT = {"residential": 1.0, "mixed": 0.6, "commercial": 0.25, "dedicated": 0.15}
# Chance that a household of a cell kind lives in a 平房 rather than a building.
BUNGALOW_RATE = {"residential": 0.04, "mixed": 0.12, "commercial": 0.3, "dedicated": 0.3}
HOUSEHOLD_SIZES = ((1, 0.2), (2, 0.3), (3, 0.27), (4, 0.15), (5, 0.08))
MIN_RESIDENTS_PER_CELL = 2
FOCUS_CELL = "411104001001001"  # 漓江路社区第1网格, the demo's showcase cell
FOCUS_CELL_MIN = 40
FOCUS_STREET = "411104001"  # 天桥街道: a compound in every residential/mixed cell
OTHER_COMPOUND_RATE = 0.3

MIGRANT_HOUSEHOLD_RATE = 0.15
LEFT_BEHIND_HOUSEHOLD_RATE = 0.03
FOREIGN_HOUSEHOLD_RATE = 0.03  # of one-person households: well under 1% of residents

# Degrees per metre, roughly; enough for buffers and jitter at this scale.
DEG_PER_M = 1.0 / 100_000.0
COORD_DECIMALS = 7


def build_demo_population(
    district: DistrictSpec | None = None, *, residents_target: int = 3000, seed: int = 20261127
) -> PopulationSpec:
    """Build the demo population; identical output for equal arguments."""
    if district is None:
        district = build_demo_district()
    return _Builder(district, residents_target, seed).build()


class _Builder:
    """Holds the random sources and uniqueness registries of one build."""

    def __init__(self, district: DistrictSpec, residents_target: int, seed: int):
        self.district = district
        self.target = residents_target
        self.rng = random.Random(seed)
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self.compound_names: set[str] = set()
        self.road_numbers: dict[str, int] = {}

        self.companies: list[PropertyCompanySpec] = []
        self.compounds: list[CompoundSpec] = []
        self.buildings: list[BuildingSpec] = []
        self.households: list[HouseholdSpec] = []
        self.residents: list[ResidentSpec] = []
        self.party_links: list[PartyLinkSpec] = []

    # --- top level ---------------------------------------------------------

    def build(self) -> PopulationSpec:
        self._property_companies()
        cells = [(community, cell) for community in self._communities() for cell in community.cells]
        quotas = self._quotas([cell for _, cell in cells])
        building_counter: dict[str, int] = {}  # per community, so building names are unique there
        for (community, cell), quota in zip(cells, quotas):
            self._populate_cell(community, cell, quota, building_counter)
        return PopulationSpec(
            property_companies=tuple(self.companies),
            compounds=tuple(self.compounds),
            buildings=tuple(self.buildings),
            households=tuple(self.households),
            residents=tuple(self.residents),
            party_links=tuple(self.party_links),
        )

    def _communities(self) -> Iterator[CommunitySpec]:
        for street in self.district.streets:
            yield from street.communities

    def _quotas(self, cells: list[CellSpec]) -> list[int]:
        """Residents per cell: jittered kind weights scaled to the target, with floors."""
        weights = [KIND_WEIGHT.get(cell.kind, 0.5) * self.rng.uniform(0.75, 1.25) for cell in cells]
        total = sum(weights)
        raw = [self.target * w / total for w in weights]
        quotas = [math.floor(r) for r in raw]
        # Largest remainder so the sum hits the target before the floors are applied.
        by_remainder = sorted(range(len(cells)), key=lambda i: raw[i] - quotas[i], reverse=True)
        for i in by_remainder[: self.target - sum(quotas)]:
            quotas[i] += 1
        for i, cell in enumerate(cells):
            floor = FOCUS_CELL_MIN if cell.code == FOCUS_CELL else MIN_RESIDENTS_PER_CELL
            quotas[i] = max(quotas[i], floor)
        return quotas

    def _property_companies(self) -> None:
        for i, name in enumerate(PROPERTY_COMPANY_NAMES, start=1):
            # Service desks publish landlines or a manager's mobile; 0395 is Luohe's area code.
            phone = f"0395-{self.rng.randint(2, 8)}{self.rng.randrange(10**6):06d}" if i % 2 else self._mobile()
            self.companies.append(PropertyCompanySpec(key=f"pc-{i:02d}", name=name, phone=phone))

    # --- one cell ------------------------------------------------------------

    def _populate_cell(
        self, community: CommunitySpec, cell: CellSpec, quota: int, building_counter: dict[str, int]
    ) -> None:
        rng = self.rng
        region = _largest_polygon(cell.boundary)
        compound = self._maybe_compound(community, cell, region)

        sizes = _household_sizes(quota, rng)
        bungalow_rate = BUNGALOW_RATE.get(cell.kind, 0.1) * (0.3 if compound else 1.0)
        in_building = [rng.random() >= bungalow_rate for _ in sizes]
        if compound is not None and not any(in_building):
            in_building[0] = True  # a compound without any inhabited building would look odd

        n_in_buildings = sum(in_building)
        buildings: list[BuildingSpec] = []
        if n_in_buildings:
            n_buildings = max(1, min(8, round(n_in_buildings / rng.uniform(3.0, 6.0))))
            # Enough rooms per building that the households always fit.
            min_rooms = math.ceil(n_in_buildings / n_buildings) + 2
            buildings = self._buildings(community, cell, region, compound, n_buildings, min_rooms, building_counter)

        # Spread households over buildings: every building gets one before any gets a second.
        order = list(range(len(buildings)))
        rng.shuffle(order)
        free_rooms = [self._rooms(building) for building in buildings]
        cell_households: list[tuple[HouseholdSpec, int]] = []
        housed_so_far = 0
        for index, (size, housed) in enumerate(zip(sizes, in_building), start=1):
            key = f"h-{cell.code}-{index:04d}"
            if housed:
                if housed_so_far < len(order):
                    slot = order[housed_so_far]
                else:
                    slot = rng.choice([i for i, rooms in enumerate(free_rooms) if rooms])
                housed_so_far += 1
                building = buildings[slot]
                unit, room = free_rooms[slot].pop()
                household = HouseholdSpec(
                    key=key,
                    cell_code=cell.code,
                    building_key=building.key,
                    unit=unit,
                    room=room,
                    address=f"{building.address}{unit}{room}室",
                )
            else:
                household = HouseholdSpec(
                    key=key,
                    cell_code=cell.code,
                    building_key=None,
                    unit=None,
                    room=None,
                    address=self._street_address(community),
                )
            self.households.append(household)
            cell_households.append((household, size))

        cell_residents: list[ResidentSpec] = []
        for household, size in cell_households:
            cell_residents.extend(self._family(household, size))
        self._party_members(cell_residents, [h for h, _ in cell_households])
        self.residents.extend(cell_residents)

    # --- geometry --------------------------------------------------------------

    def _maybe_compound(self, community: CommunitySpec, cell: CellSpec, region: Polygon) -> CompoundSpec | None:
        rng = self.rng
        if cell.kind not in ("residential", "mixed"):
            return None
        wanted = cell.code.startswith(FOCUS_STREET) or rng.random() < OTHER_COMPOUND_RATE
        if not wanted:
            return None
        # Keep ~30 m clear of the cell edge so the compound is strictly inside,
        # then cut a block of 150-350 m around an interior point.
        inner = _largest_polygon(region.buffer(-30 * DEG_PER_M))
        if inner is None or inner.is_empty:
            return None
        centre = inner.representative_point()
        half = rng.uniform(75, 175) * DEG_PER_M
        block = box(centre.x - half, centre.y - half * 0.85, centre.x + half, centre.y + half * 0.85)
        piece = inner.intersection(block)
        polygon = _polygon_containing(piece, centre)
        if polygon is None:
            return None
        polygon = shapely.set_precision(polygon, 10**-COORD_DECIMALS)
        boundary = MultiPolygon([_largest_polygon(polygon)])
        if not (boundary.is_valid and cell.boundary.contains(boundary) and boundary.area > 0):
            return None

        name = self._compound_name()
        company = rng.choice(self.companies).key if rng.random() < 0.85 else None  # some old compounds have none
        has_committee = company is not None and rng.random() < 0.6
        compound = CompoundSpec(
            key=f"cp-{cell.code}",
            community_code=community.code,
            name=name,
            boundary=boundary,
            property_company_key=company,
            owners_committee_name=f"{name}业主委员会" if has_committee else None,
            owners_committee_chair=self._chinese_name(rng.random() < 0.6) if has_committee else None,
            owners_committee_phone=self._mobile() if has_committee else None,
        )
        self.compounds.append(compound)
        return compound

    def _buildings(
        self,
        community: CommunitySpec,
        cell: CellSpec,
        region: Polygon,
        compound: CompoundSpec | None,
        count: int,
        min_rooms: int,
        building_counter: dict[str, int],
    ) -> list[BuildingSpec]:
        rng = self.rng
        compound_area = compound.boundary if compound else None
        outside_area = region.difference(compound_area) if compound_area is not None else region
        in_compound = 0 if compound is None else max(1, round(count * 0.7))
        result: list[BuildingSpec] = []
        for i in range(1, count + 1):
            inside = i <= in_compound
            area = compound_area if inside else outside_area
            lng, lat = _point_inside(area, cell.boundary, rng)
            if inside:
                number = i
                name = f"{compound.name}{number}号楼"
                floors = rng.choice((6, 6, 7, 11, 11, 18, 26, 33))
                units = rng.randint(1, 4) if floors <= 11 else rng.randint(1, 2)
            else:
                # Older walk-ups and mixed-use blocks outside compounds, numbered per community.
                building_counter[community.code] = building_counter.get(community.code, 0) + 1
                number = building_counter[community.code]
                name = f"{number}号楼"
                floors = rng.randint(2, 6) if cell.kind in ("residential", "mixed") else rng.randint(3, 12)
                units = rng.randint(1, 3)
            floors = max(floors, math.ceil(min_rooms / (2 * units)))
            result.append(
                BuildingSpec(
                    key=f"b-{cell.code}-{i:02d}",
                    cell_code=cell.code,
                    compound_key=compound.key if inside else None,
                    name=name,
                    address=f"{community.name} {name}",
                    lng=lng,
                    lat=lat,
                    floors=floors,
                    units=units,
                )
            )
        self.buildings.extend(result)
        return result

    def _rooms(self, building: BuildingSpec) -> list[tuple[str, str]]:
        """All ("<n>单元", "<floor><door>") pairs of a building in random order (two doors per landing)."""
        rooms = [
            (f"{unit}单元", f"{floor}{door:02d}")
            for unit in range(1, building.units + 1)
            for floor in range(1, building.floors + 1)
            for door in (1, 2)
        ]
        self.rng.shuffle(rooms)
        return rooms

    def _street_address(self, community: CommunitySpec) -> str:
        """A 平房 door number on the community's road, increasing so addresses stay unique."""
        base = community.name.removesuffix("社区")
        road = base if base.endswith(("路", "街")) else f"{base}路"
        number = self.road_numbers.get(road, 0) + self.rng.randint(1, 3)
        self.road_numbers[road] = number
        return f"{road}{number}号"

    def _compound_name(self) -> str:
        for _ in range(1000):
            name = self.rng.choice(COMPOUND_PREFIXES) + self.rng.choice(COMPOUND_SUFFIXES)
            if name not in self.compound_names:
                self.compound_names.add(name)
                return name
        raise RuntimeError("ran out of compound names")

    # --- people ----------------------------------------------------------------

    def _family(self, household: HouseholdSpec, size: int) -> list[ResidentSpec]:
        """Members of one household, householder first."""
        rng = self.rng
        roll = rng.random()
        if size == 1 and roll < FOREIGN_HOUSEHOLD_RATE:
            kind = "foreign"
        elif roll < MIGRANT_HOUSEHOLD_RATE:
            kind = "migrant"
        elif roll < MIGRANT_HOUSEHOLD_RATE + LEFT_BEHIND_HOUSEHOLD_RATE and size >= 2:
            kind = "left_behind"
        else:
            kind = "registered"

        members = _left_behind_members(size, rng) if kind == "left_behind" else _members(size, rng)
        if kind == "migrant":
            region = rng.choice(MIGRANT_REGIONS)
        elif kind == "foreign":
            region = rng.choice(FOREIGN_REGIONS)
        else:
            region = LOCAL_REGION if rng.random() < 0.92 else rng.choice(NEARBY_REGIONS)

        names = self._family_names(members) if kind != "foreign" else [rng.choice(FOREIGN_NAMES[members[0][2]])]
        low_income = kind in ("registered", "left_behind") and rng.random() < 0.04
        result: list[ResidentSpec] = []
        for index, ((relation, age, sex), name) in enumerate(zip(members, names), start=1):
            # A different region for in-laws now and then, as people marry across places.
            member_region = region if relation != "spouse" or rng.random() < 0.8 else rng.choice(MIGRANT_REGIONS)
            tags = self._tags(kind, relation, age, sex, size, low_income)
            adult = age >= 18
            phone = self._mobile() if adult or (age >= 12 and rng.random() < 0.5) else None
            result.append(
                ResidentSpec(
                    key=f"r-{household.key[2:]}-{index}",
                    household_key=household.key,
                    cell_code=household.cell_code,
                    name=name,
                    gender=sex,
                    id_number=self._id_number(member_region, age, sex),
                    phone=phone,
                    kind=kind,
                    tags=tags,
                    relation=relation,
                )
            )
        return result

    def _family_names(self, members: list[tuple[str, int, str]]) -> list[str]:
        """Names following the usual pattern: children and grandchildren take the father's surname."""
        head_sex = members[0][2]
        head_surname = self.fake.last_name()
        has_husband = any(r == "spouse" and s == "male" for r, _, s in members)
        family_surname = self.fake.last_name() if has_husband else head_surname
        names: list[str] = []
        for relation, _age, sex in members:
            if relation == "householder":
                surname = head_surname
            elif relation == "spouse":
                surname = family_surname if sex == "male" else self.fake.last_name()
            elif relation == "parent":
                surname = head_surname if sex == "male" else self.fake.last_name()
            elif relation == "child" or (relation == "other" and head_sex == "male"):
                surname = family_surname
            else:
                surname = self.fake.last_name()
            names.append(surname + self._given_name(sex == "male"))
        return names

    def _tags(self, kind: str, relation: str, age: int, sex: str, size: int, low_income: bool) -> tuple[str, ...]:
        rng = self.rng
        tags: list[str] = []
        if size == 1 and age > 70 and rng.random() < 0.8:
            tags.append("elderly_alone")
        if rng.random() < (0.012 if age < 60 else 0.05):
            tags.append("disabled")
        if low_income:
            tags.append("low_income")
        if kind == "left_behind" and age < 16:
            tags.append("left_behind_child")
        if 20 <= age <= 85 and rng.random() < (0.035 if sex == "male" else 0.004):
            tags.append("veteran")
        return tuple(tags)

    def _party_members(self, residents: list[ResidentSpec], households: list[HouseholdSpec]) -> None:
        """Tag ~10% of adults as party members and link each to 2-5 other households of the cell."""
        rng = self.rng
        if len(households) < 3:
            return  # too few neighbours to look after
        for i, resident in enumerate(residents):
            age = _age(resident.id_number)
            if age < 18 or resident.kind == "foreign":
                continue
            rate = 0.18 if "veteran" in resident.tags else 0.10
            if rng.random() >= rate:
                continue
            residents[i] = dataclasses.replace(resident, tags=("party_member", *resident.tags))
            others = [h.key for h in households if h.key != resident.household_key]
            for household_key in sorted(rng.sample(others, min(len(others), rng.randint(2, 5)))):
                self.party_links.append(PartyLinkSpec(resident_key=resident.key, household_key=household_key))

    def _id_number(self, region: str, age: int, sex: str) -> str:
        rng = self.rng
        while True:
            # Birthday somewhere in the year that gives this age on REFERENCE_DATE.
            latest = _years_before(REFERENCE_DATE, age)
            born = latest - datetime.timedelta(days=rng.randrange(365))
            sequence = rng.randrange(1, 1000, 2) if sex == "male" else rng.randrange(2, 1000, 2)
            first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
            number = first17 + check_character(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def _mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones and PHONE_RE.match(phone):
                self.phones.add(phone)
                return phone

    def _given_name(self, male: bool) -> str:
        return self.fake.first_name_male() if male else self.fake.first_name_female()

    def _chinese_name(self, male: bool) -> str:
        return self.fake.last_name() + self._given_name(male)


# --- helpers -------------------------------------------------------------------


def _household_sizes(quota: int, rng: random.Random) -> list[int]:
    """Household sizes summing to exactly quota."""
    sizes: list[int] = []
    remaining = quota
    values = [s for s, _ in HOUSEHOLD_SIZES]
    weights = [w for _, w in HOUSEHOLD_SIZES]
    while remaining > 0:
        size = min(rng.choices(values, weights)[0], remaining)
        sizes.append(size)
        remaining -= size
    return sizes


def _members(size: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """(relation, age, gender) for an ordinary household, householder first."""
    if size == 1:
        # One-person households lean old (widowed) or young (single workers).
        age = rng.randint(62, 95) if rng.random() < 0.45 else rng.randint(20, 61)
        return [("householder", age, rng.choice(("male", "female")))]

    with_children = size >= 3 or rng.random() < 0.35
    head_age = rng.randint(28, 58) if with_children else rng.randint(25, 85)
    head_sex = "male" if rng.random() < 0.65 else "female"
    members = [("householder", head_age, head_sex)]
    has_spouse = size >= 3 or not with_children or rng.random() < 0.5
    if has_spouse:
        spouse_age = min(95, max(20, head_age + rng.randint(-5, 5)))
        members.append(("spouse", spouse_age, "female" if head_sex == "male" else "male"))
    youngest_parent = min(age for _, age, _ in members)
    parents_added = 0
    while len(members) < size:
        slots_left = size - len(members)
        children = sum(1 for r, _, _ in members if r == "child")
        if children == 0 or (children < 2 and (slots_left > 2 or rng.random() < 0.5)):
            age = max(0, youngest_parent - rng.randint(22, 36))
            members.append(("child", age, rng.choice(("male", "female"))))
        elif parents_added < 2 and head_age + 22 <= 95:
            parent_age = min(95, head_age + rng.randint(22, 34))
            members.append(("parent", parent_age, "male" if parents_added == 0 else "female"))
            parents_added += 1
        else:
            # A sibling or other relative living in.
            members.append(("other", min(95, max(16, head_age + rng.randint(-10, 10))), rng.choice(("male", "female"))))
    return members


def _left_behind_members(size: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """Grandparents left with grandchildren while the parents work elsewhere (留守)."""
    head_age = rng.randint(58, 82)
    head_sex = "male" if rng.random() < 0.6 else "female"
    members = [("householder", head_age, head_sex)]
    if size >= 3 or rng.random() < 0.3:
        members.append(("spouse", min(95, head_age + rng.randint(-4, 4)), "female" if head_sex == "male" else "male"))
    while len(members) < size:
        members.append(("other", rng.randint(2, 15), rng.choice(("male", "female"))))
    return members


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # Feb 29 in a non-leap year
        return day.replace(year=day.year - years, day=28)


def _age(id_number: str) -> int:
    born = datetime.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    ref = REFERENCE_DATE
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def _largest_polygon(geom) -> Polygon | None:
    if geom is None or geom.is_empty:
        return None
    if isinstance(geom, Polygon):
        return geom
    polygons = [g for g in getattr(geom, "geoms", ()) if isinstance(g, Polygon) and not g.is_empty]
    return max(polygons, key=lambda p: p.area) if polygons else None


def _polygon_containing(geom, point: Point) -> Polygon | None:
    """The polygon part of geom that contains point (representative points are interior)."""
    if geom is None or geom.is_empty:
        return None
    parts = [geom] if isinstance(geom, Polygon) else [g for g in getattr(geom, "geoms", ()) if isinstance(g, Polygon)]
    for part in parts:
        if part.contains(point):
            return part
    return _largest_polygon(geom)


def _point_inside(area, cell_boundary: MultiPolygon, rng: random.Random) -> tuple[float, float]:
    """A rounded lng/lat strictly inside both area and the cell: interior point plus seeded jitter."""
    target = _largest_polygon(area.buffer(-8 * DEG_PER_M)) or _largest_polygon(area)
    anchor = target.representative_point()
    minx, miny, maxx, maxy = target.bounds
    for attempt in range(60):
        # Jitter shrinks with each failed try, ending at the interior point itself.
        spread = max(0.0, 1.0 - attempt / 50)
        x = anchor.x + rng.uniform(minx - anchor.x, maxx - anchor.x) * spread
        y = anchor.y + rng.uniform(miny - anchor.y, maxy - anchor.y) * spread
        lng, lat = round(x, COORD_DECIMALS), round(y, COORD_DECIMALS)
        candidate = Point(lng, lat)
        if target.contains(candidate) and area.contains(candidate) and cell_boundary.contains(candidate):
            return lng, lat
    raise RuntimeError("could not place a point inside the cell")  # interior point always qualifies
