"""Tests for the demo population generator (no database needed; all data is invented)."""

import re
from collections import Counter, defaultdict

import pytest
from shapely.geometry import Point

from api.demo.geography import build_demo_district
from api.demo.population import REFERENCE_DATE, build_demo_population
from api.population.identity import PHONE_RE, birth_date, gender, validate_id_number

TARGET = 3000
FOCUS_CELL = "411104001001001"
KINDS = {"registered", "migrant", "foreign", "left_behind"}
RELATIONS = {"householder", "spouse", "child", "parent", "other"}
TAGS = {"party_member", "elderly_alone", "disabled", "low_income", "left_behind_child", "veteran"}


@pytest.fixture(scope="module")
def district():
    return build_demo_district()


@pytest.fixture(scope="module")
def population(district):
    return build_demo_population(district, residents_target=TARGET)


@pytest.fixture(scope="module")
def cells(district):
    return {cell.code: cell for s in district.streets for c in s.communities for cell in c.cells}


@pytest.fixture(scope="module")
def communities(district):
    return {c.code: c for s in district.streets for c in s.communities}


def _age(id_number):
    born = birth_date(id_number)
    ref = REFERENCE_DATE
    return ref.year - born.year - ((ref.month, ref.day) < (born.month, born.day))


def _by_household(population):
    members = defaultdict(list)
    for resident in population.residents:
        members[resident.household_key].append(resident)
    return members


def test_build_is_deterministic(district, population):
    """Repeated builds, with the default or an explicit district, give identical output."""
    assert build_demo_population(district, residents_target=TARGET) == population
    assert build_demo_population() == population


def test_seed_changes_output(district, population):
    """A different seed gives a different population."""
    other = build_demo_population(district, seed=1)
    assert [r.id_number for r in other.residents] != [r.id_number for r in population.residents]


def test_counts(population, cells):
    """Residents are within 10% of the target, every cell has some and the focus cell at least 30."""
    assert abs(len(population.residents) - TARGET) <= TARGET * 0.1
    per_cell = Counter(r.cell_code for r in population.residents)
    assert set(per_cell) == set(cells)
    assert per_cell[FOCUS_CELL] >= 30
    assert 4 <= len(population.property_companies) <= 6
    assert population.compounds and population.buildings and population.party_links


def test_residential_cells_are_denser(population, cells):
    """Residential cells hold more residents on average than commercial or dedicated ones."""
    per_cell = Counter(r.cell_code for r in population.residents)
    by_kind = defaultdict(list)
    for code, cell in cells.items():
        by_kind[cell.kind].append(per_cell[code])
    mean = {kind: sum(v) / len(v) for kind, v in by_kind.items()}
    assert mean["residential"] > mean["commercial"]
    assert mean["residential"] > mean["dedicated"]


def test_id_numbers_valid_and_gender_consistent(population):
    """Every id number validates, its 17th digit matches the gender and the age is 0-95."""
    for resident in population.residents:
        assert validate_id_number(resident.id_number, today=REFERENCE_DATE) == resident.id_number
        assert gender(resident.id_number) == resident.gender
        assert 0 <= _age(resident.id_number) <= 95


def test_region_codes(population):
    """Most numbers carry 411104; migrants mostly come from elsewhere."""
    regions = Counter(r.id_number[:6] for r in population.residents)
    assert regions["411104"] > len(population.residents) * 0.6
    migrants = [r for r in population.residents if r.kind == "migrant"]
    assert sum(r.id_number[:6] != "411104" for r in migrants) > len(migrants) * 0.9


def test_uniqueness(population):
    """Keys of every entity, id numbers and all phone numbers are unique."""
    for items in (
        population.property_companies,
        population.compounds,
        population.buildings,
        population.households,
        population.residents,
    ):
        keys = [item.key for item in items]
        assert len(keys) == len(set(keys))
    ids = [r.id_number for r in population.residents]
    assert len(ids) == len(set(ids))
    phones = [r.phone for r in population.residents if r.phone]
    phones += [c.owners_committee_phone for c in population.compounds if c.owners_committee_phone]
    phones += [p.phone for p in population.property_companies]
    assert len(phones) == len(set(phones))
    links = [(link.resident_key, link.household_key) for link in population.party_links]
    assert len(links) == len(set(links))
    addresses = [h.address for h in population.households]
    assert len(addresses) == len(set(addresses))


def test_phones(population):
    """Adults all have valid mobiles, some children have none, company phones are mobiles or 0395 lines."""
    for resident in population.residents:
        if _age(resident.id_number) >= 18:
            assert resident.phone and PHONE_RE.match(resident.phone)
        elif resident.phone is not None:
            assert PHONE_RE.match(resident.phone)
    assert any(r.phone is None for r in population.residents)
    for company in population.property_companies:
        assert company.name.endswith("物业服务有限公司")
        assert PHONE_RE.match(company.phone) or re.match(r"^0395-[2-8][0-9]{6}$", company.phone)


def test_buildings_inside_their_cells(population, cells):
    """Every building point lies strictly inside its cell, and inside its compound if it has one."""
    compounds = {c.key: c for c in population.compounds}
    for building in population.buildings:
        point = Point(building.lng, building.lat)
        assert cells[building.cell_code].boundary.contains(point), building.key
        if building.compound_key is not None:
            assert compounds[building.compound_key].boundary.contains(point), building.key
        assert building.floors >= 1 and building.units >= 1


def test_compounds_valid_and_inside_one_cell(population, communities):
    """Each compound is a valid polygon covered by exactly one cell of its community."""
    companies = {p.key for p in population.property_companies}
    for compound in population.compounds:
        assert compound.boundary.is_valid and not compound.boundary.is_empty
        assert compound.boundary.area > 0
        community = communities[compound.community_code]
        covering = [cell for cell in community.cells if cell.boundary.covers(compound.boundary)]
        assert len(covering) == 1, compound.key
        assert covering[0].boundary.contains(compound.boundary)
        assert compound.property_company_key is None or compound.property_company_key in companies
        committee = (compound.owners_committee_name, compound.owners_committee_chair, compound.owners_committee_phone)
        assert all(committee) or not any(committee)


def test_focus_street_has_compounds(population, district):
    """Most residential and mixed cells of 天桥街道 have a compound."""
    street = district.streets[0]
    assert street.name == "天桥街道"
    eligible = {cell.code for c in street.communities for cell in c.cells if cell.kind in ("residential", "mixed")}
    with_compound = {b.cell_code for b in population.buildings if b.compound_key} & eligible
    assert len(with_compound) >= 0.8 * len(eligible)


def test_households_reference_buildings_of_same_cell(population):
    """Households point to existing buildings of their own cell, with a free unit and room each."""
    buildings = {b.key: b for b in population.buildings}
    rooms = set()
    bungalows = 0
    for household in population.households:
        if household.building_key is None:
            bungalows += 1
            assert household.unit is None and household.room is None
            continue
        building = buildings[household.building_key]
        assert building.cell_code == household.cell_code
        assert re.fullmatch(r"[1-9]单元", household.unit)
        assert re.fullmatch(r"[1-9][0-9]?0[12]", household.room)
        assert int(household.unit[0]) <= building.units
        assert int(household.room[:-2]) <= building.floors
        assert (building.key, household.unit, household.room) not in rooms
        rooms.add((building.key, household.unit, household.room))
    assert 0 < bungalows < len(population.households) * 0.2


def test_householder_exactly_once_per_household(population):
    """Each household has 1-5 residents, exactly one householder, listed first."""
    members = _by_household(population)
    assert set(members) == {h.key for h in population.households}
    households = {h.key: h for h in population.households}
    for key, people in members.items():
        assert 1 <= len(people) <= 5
        assert [p.relation for p in people].count("householder") == 1
        assert people[0].relation == "householder"
        assert all(p.cell_code == households[key].cell_code for p in people)
        assert all(p.relation in RELATIONS and p.kind in KINDS and set(p.tags) <= TAGS for p in people)


def test_relations_fit_ages(population):
    """Children are younger and parents older than the householder; spouses are adults."""
    for people in _by_household(population).values():
        head_age = _age(people[0].id_number)
        for person in people[1:]:
            age = _age(person.id_number)
            if person.relation == "child":
                assert age < head_age
            elif person.relation == "parent":
                assert age > head_age
            elif person.relation == "spouse":
                assert age >= 18


def test_party_links_within_cell(population):
    """Party links go from party members to 2-5 other households of their own cell."""
    residents = {r.key: r for r in population.residents}
    households = {h.key: h for h in population.households}
    links = defaultdict(list)
    for link in population.party_links:
        resident = residents[link.resident_key]
        assert "party_member" in resident.tags
        assert households[link.household_key].cell_code == resident.cell_code
        assert link.household_key != resident.household_key
        links[link.resident_key].append(link.household_key)
    members = [r for r in population.residents if "party_member" in r.tags]
    assert {r.key for r in members} == set(links)
    assert all(2 <= len(v) <= 5 for v in links.values())
    assert all(_age(r.id_number) >= 18 for r in members)


def test_kind_and_tag_rates(population):
    """Kinds and tags occur at plausible rates and only where they make sense."""
    n = len(population.residents)
    kinds = Counter(r.kind for r in population.residents)
    assert 0.10 * n <= kinds["migrant"] <= 0.20 * n
    assert 0 < kinds["foreign"] <= 0.01 * n
    assert 0 < kinds["left_behind"] <= 0.06 * n
    assert kinds["registered"] > 0.7 * n
    tags = Counter(tag for r in population.residents for tag in r.tags)
    assert 0.05 * n <= tags["party_member"] <= 0.11 * n
    assert all(tags[tag] > 0 for tag in TAGS)
    sizes = Counter(r.household_key for r in population.residents)
    for resident in population.residents:
        if "elderly_alone" in resident.tags:
            assert _age(resident.id_number) > 70 and sizes[resident.household_key] == 1
        if "left_behind_child" in resident.tags:
            assert resident.kind == "left_behind" and _age(resident.id_number) < 16
