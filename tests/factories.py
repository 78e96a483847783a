"""factory_boy factories for rows the demo district does not provide (e.g. a second district)."""

from __future__ import annotations

import uuid

import factory
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box

from api.auth import passwords
from models import CellKind, GridMemberCell, Place, PlaceKind, Role, User
from models.db import db_session


def square(lng: float, lat: float, size: float = 0.01):
    return from_shape(MultiPolygon([box(lng, lat, lng + size, lat + size)]), srid=4326)


class PlaceFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Place
        sqlalchemy_session = db_session
        sqlalchemy_session_persistence = "flush"

    id = factory.LazyFunction(uuid.uuid4)
    kind = PlaceKind.district
    code = factory.Sequence(lambda n: f"{419000 + n}")
    name = factory.Faker("city", locale="zh_CN")
    parent = None
    path = factory.LazyAttribute(lambda o: (o.parent.path if o.parent else "/") + f"{o.id}/")
    boundary = factory.LazyFunction(lambda: square(115.0, 34.0, 0.05))
    cell_kind = factory.LazyAttribute(lambda o: CellKind.residential if o.kind == PlaceKind.grid_cell else None)


def place_chain(district_code: str = "419901") -> dict[str, Place]:
    """A district with one street, one community and one grid cell, far from the demo district."""
    district = PlaceFactory(kind=PlaceKind.district, code=district_code, name="测试区")
    street = PlaceFactory(kind=PlaceKind.street, code=district_code + "001", name="测试街道", parent=district)
    community = PlaceFactory(kind=PlaceKind.community, code=district_code + "001001", name="测试社区", parent=street)
    cell = PlaceFactory(kind=PlaceKind.grid_cell, code=district_code + "001001001", name="测试社区第1网格",
                        parent=community, boundary=square(115.0, 34.0, 0.01))
    return {"district": district, "street": street, "community": community, "grid_cell": cell}


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session = db_session
        sqlalchemy_session_persistence = "flush"

    id = factory.LazyFunction(uuid.uuid4)
    username = factory.Sequence(lambda n: f"user{n:04d}")
    display_name = factory.Faker("name", locale="zh_CN")
    role = Role.community_staff
    place = None
    password_hash = factory.LazyFunction(
        lambda: passwords.hash_password(passwords.hasher(1, 1024, 1), "Test-pass-2026")
    )


def grid_member(cell: Place, **kw) -> User:
    user = UserFactory(role=Role.grid_member, place=cell.parent, **kw)
    db_session.add(GridMemberCell(user_id=user.id, grid_cell_id=cell.id))
    db_session.flush()
    db_session.refresh(user)
    return user
