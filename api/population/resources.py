"""The population base: residents, households, buildings, compounds, party members' households."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from api import audit, ratelimit
from api.context import authenticated, cipher, scope
from api.extensions import Blueprint, ErrorSchema, QueryPage, view_page
from api.geo.fields import point_out
from api.idempotency import commit, idempotent
from api.policy import get_or_404
from api.population import service
from api.population.schemas import (
    BuildingCreateSchema,
    BuildingQueryArgsSchema,
    BuildingSchema,
    BuildingUpdateSchema,
    CompoundCreateSchema,
    CompoundQueryArgsSchema,
    CompoundSchema,
    CompoundUpdateSchema,
    HouseholdCreateSchema,
    HouseholdQueryArgsSchema,
    HouseholdSchema,
    HouseholdUpdateSchema,
    LookupSchema,
    PartyLinkCreateSchema,
    PartyLinkQueryArgsSchema,
    PartyLinkSchema,
    PropertyCompanyCreateSchema,
    PropertyCompanySchema,
    ResidentCreateSchema,
    ResidentQueryArgsSchema,
    ResidentSchema,
    ResidentUpdateSchema,
    RevealedSchema,
    RevealSchema,
)
from models import Building, Compound, Household, PartyLink
from models.db import db_session

blp = Blueprint("population", __name__, url_prefix="/api/v1",
                description="The population base: residents, households, buildings (实有人口)")


def building_view(building: Building) -> dict:
    return {**{c: getattr(building, c) for c in ("id", "name", "address", "floors", "units", "compound",
                                                  "grid_cell", "households", "created_at", "updated_at")},
            "location": point_out(building.location)}




# --- residents -----------------------------------------------------------------------------------

@blp.route("/residents")
class Residents(MethodView):
    @authenticated("population.read")
    @blp.arguments(ResidentQueryArgsSchema, location="query")
    @blp.response(200, ResidentSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Residents of the caller's cells (a grid member: only their cells' people), identity
        numbers masked. To find someone by identity number, use `POST /residents/lookup`.
        Every read of the roster is in the audit log (which filters, not the people)."""
        audit.record("resident.list", object_type="resident",
                     detail={"filters": sorted(k for k, v in args.items() if v not in (None, False))})
        db_session.commit()
        return service.list_residents(scope(), **args)

    @authenticated("population.write")
    @idempotent
    @blp.arguments(ResidentCreateSchema)
    @blp.response(201, ResidentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="household_id or grid_cell_id not within your scope")
    @blp.alt_response(409, schema=ErrorSchema, description="The identity number is already registered")
    def post(self, body):
        """Register a resident (in a household, or directly in a cell). The identity number is
        checked (GB 11643), encrypted, and sets birth date and gender."""
        resident = service.create_resident(db_session, scope(), cipher(), body)
        audit.record("resident.create", object_type="resident", object_id=resident.id)
        commit()
        return resident


@blp.route("/residents/lookup")
class ResidentLookup(MethodView):
    @authenticated("population.read")
    @blp.arguments(LookupSchema)
    @blp.response(200, ResidentSchema(many=True))
    @blp.alt_response(429, schema=ErrorSchema, description="More than LOOKUPS_PER_HOUR lookups this hour")
    def post(self, body):
        """Find a resident within scope by full identity number (exact match on its keyed hash).
        The number travels in the body, never in a URL; every lookup is audited. At most
        LOOKUPS_PER_HOUR (120) lookups an hour per user: 429 above, audited."""
        ratelimit.per_user("lookup", current_app.config["LOOKUPS_PER_HOUR"],
                           audit_action="resident.lookup_by_id_number", object_type="resident")
        found = service.lookup_resident(db_session, scope(), cipher(), body["id_number"])
        audit.record("resident.lookup_by_id_number", object_type="resident",
                     object_id=found[0].id if found else None, outcome="success" if found else "failure")
        db_session.commit()
        return found


@blp.route("/residents/<uuid:resident_id>")
class ResidentById(MethodView):
    @authenticated("population.read")
    @blp.etag
    @blp.response(200, ResidentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such resident within your scope")
    def get(self, resident_id):
        """One resident (personal data: the read is audited)."""
        resident = service.get_resident(db_session, resident_id, scope())
        audit.record("resident.read", object_type="resident", object_id=resident.id)
        db_session.commit()
        return resident

    @authenticated("population.write")
    @blp.etag
    @blp.arguments(ResidentUpdateSchema)
    @blp.response(200, ResidentSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such resident within your scope")
    @blp.alt_response(409, schema=ErrorSchema, description="The identity number is already registered")
    def patch(self, body, resident_id):
        """Update a resident: move household, correct the identity number, tags, moving out (搬离)."""
        resident = service.get_resident(db_session, resident_id, scope(), for_update=True)
        blp.check_etag(resident, ResidentSchema)
        service.update_resident(db_session, scope(), cipher(), resident, body)
        audit.record("resident.update", object_type="resident", object_id=resident.id,
                     detail={"fields": sorted(body)})
        db_session.commit()
        return resident


@blp.route("/residents/<uuid:resident_id>/reveal")
class RevealIdNumber(MethodView):
    @authenticated("population.reveal")
    @blp.arguments(RevealSchema)
    @blp.response(200, RevealedSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such resident within your scope, or no number recorded")
    def post(self, body, resident_id):
        """The full identity number, for a stated reason. Every reveal is in the audit log. At most
        REVEALS_PER_HOUR (30) reveals an hour per user, of any kind: 429 above, audited."""
        ratelimit.per_user("reveal", current_app.config["REVEALS_PER_HOUR"], audit_action="resident.reveal_id_number",
                           object_type="resident", object_id=resident_id)
        resident = service.get_resident(db_session, resident_id, scope())
        number = service.reveal_id_number(cipher(), resident)
        audit.record("resident.reveal_id_number", object_type="resident", object_id=resident.id,
                     detail={"reason": body["reason"]})
        db_session.commit()
        return {"id_number": number}, 200, {"Cache-Control": "no-store"}


# --- households ----------------------------------------------------------------------------------

@blp.route("/households")
class Households(MethodView):
    @authenticated("population.read")
    @blp.arguments(HouseholdQueryArgsSchema, location="query")
    @blp.response(200, HouseholdSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Households of the caller's cells, with how many people live in each."""
        return service.list_households(scope(), **args)

    @authenticated("population.write")
    @idempotent
    @blp.arguments(HouseholdCreateSchema)
    @blp.response(201, HouseholdSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="building_id or grid_cell_id not within your scope")
    def post(self, body):
        """Register a household, in a building (its cell follows) or directly in a cell."""
        household = service.create_household(db_session, scope(), body)
        audit.record("household.create", object_type="household", object_id=household.id)
        commit()
        db_session.refresh(household)
        return household


@blp.route("/households/<uuid:household_id>")
class HouseholdById(MethodView):
    @authenticated("population.read")
    @blp.etag
    @blp.response(200, HouseholdSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such household within your scope")
    def get(self, household_id):
        """One household."""
        return get_or_404(db_session, Household, household_id, scope())

    @authenticated("population.write")
    @blp.etag
    @blp.arguments(HouseholdUpdateSchema)
    @blp.response(200, HouseholdSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such household within your scope")
    def patch(self, body, household_id):
        """Correct a household's address, unit or room, or flag it for weekly follow-up (with why)."""
        household = get_or_404(db_session, Household, household_id, scope(), for_update=True)
        blp.check_etag(household, HouseholdSchema)
        service.update_household(db_session, household, body)
        audit.record("household.update", object_type="household", object_id=household.id,
                     detail={"fields": sorted(body)})
        db_session.commit()
        return household


# --- buildings -----------------------------------------------------------------------------------

@blp.route("/buildings")
class Buildings(MethodView):
    @authenticated("population.read")
    @blp.arguments(BuildingQueryArgsSchema, location="query")
    @blp.response(200, BuildingSchema(many=True))
    @blp.paginate(view_page(building_view))
    def get(self, args):
        """Buildings of the caller's cells."""
        return service.list_buildings(scope(), **args)

    @authenticated("population.write")
    @idempotent
    @blp.arguments(BuildingCreateSchema)
    @blp.response(201, BuildingSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="compound_id not within your scope")
    def post(self, body):
        """Register a building at a point (any coordinate system): its grid cell is located from it."""
        building = service.create_building(db_session, scope(), body)
        audit.record("building.create", object_type="building", object_id=building.id)
        commit()
        db_session.refresh(building)
        return building_view(building)


@blp.route("/buildings/<uuid:building_id>")
class BuildingById(MethodView):
    @authenticated("population.read")
    @blp.etag
    @blp.response(200, BuildingSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such building within your scope")
    def get(self, building_id):
        """One building."""
        return building_view(get_or_404(db_session, Building, building_id, scope()))

    @authenticated("population.write")
    @blp.etag
    @blp.arguments(BuildingUpdateSchema)
    @blp.response(200, BuildingSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such building within your scope")
    def patch(self, body, building_id):
        """Correct a building; moving it moves its households (and their people) to its new cell."""
        building = get_or_404(db_session, Building, building_id, scope(), for_update=True)
        blp.check_etag(building_view(building), BuildingSchema)
        service.update_building(db_session, scope(), building, body)
        audit.record("building.update", object_type="building", object_id=building.id,
                     detail={"fields": sorted(body)})
        db_session.commit()
        db_session.refresh(building)
        return building_view(building)


# --- compounds and property companies ------------------------------------------------------------

@blp.route("/compounds")
class Compounds(MethodView):
    @authenticated("population.read")
    @blp.arguments(CompoundQueryArgsSchema, location="query")
    @blp.response(200, CompoundSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Residential compounds (小区) with their property company and owners' committee."""
        return service.list_compounds(scope(), **args)

    @authenticated("compounds.write")
    @blp.arguments(CompoundCreateSchema)
    @blp.response(201, CompoundSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="community_id or property_company_id not within your scope")
    def post(self, body):
        """Register a compound (小区) in a community, with its polygon, property company and owners' committee."""
        compound = service.save_compound(db_session, scope(), body)
        audit.record("compound.create", object_type="compound", object_id=compound.id)
        db_session.commit()
        return compound


@blp.route("/compounds/<uuid:compound_id>")
class CompoundById(MethodView):
    @authenticated("population.read")
    @blp.etag
    @blp.response(200, CompoundSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such compound within your scope")
    def get(self, compound_id):
        """One compound."""
        return get_or_404(db_session, Compound, compound_id, scope())

    @authenticated("compounds.write")
    @blp.etag
    @blp.arguments(CompoundUpdateSchema)
    @blp.response(200, CompoundSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such compound within your scope")
    def patch(self, body, compound_id):
        """Change a compound: polygon, property company, owners' committee."""
        compound = get_or_404(db_session, Compound, compound_id, scope(), for_update=True)
        blp.check_etag(compound, CompoundSchema)
        service.save_compound(db_session, scope(), body, compound)
        audit.record("compound.update", object_type="compound", object_id=compound.id, detail={"fields": sorted(body)})
        db_session.commit()
        return compound


@blp.route("/property-companies")
class PropertyCompanies(MethodView):
    @authenticated("population.read")
    @blp.response(200, PropertyCompanySchema(many=True))
    @blp.paginate(QueryPage)
    def get(self):
        """Property companies (物业) working in the caller's area."""
        return service.list_property_companies(scope())

    @authenticated("compounds.write")
    @blp.arguments(PropertyCompanyCreateSchema)
    @blp.response(201, PropertyCompanySchema)
    @blp.alt_response(404, schema=ErrorSchema, description="place_id not within your scope")
    def post(self, body):
        """Register a property company working in a street or community."""
        company = service.create_property_company(db_session, scope(), body)
        audit.record("property_company.create", object_type="property_company", object_id=company.id)
        db_session.commit()
        return company


# --- party members' households -------------------------------------------------------------------

@blp.route("/party-links")
class PartyLinks(MethodView):
    @authenticated("population.read")
    @blp.arguments(PartyLinkQueryArgsSchema, location="query")
    @blp.response(200, PartyLinkSchema(many=True))
    @blp.paginate(QueryPage)
    def get(self, args):
        """Which households each party member looks after (党员联户)."""
        return service.list_party_links(scope(), **args)

    @authenticated("population.write")
    @blp.arguments(PartyLinkCreateSchema)
    @blp.response(201, PartyLinkSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="resident_id or household_id not within your scope")
    def post(self, body):
        """Link a party member to a household of their cell."""
        link = service.create_party_link(db_session, scope(), body["resident_id"], body["household_id"])
        audit.record("party_link.create", object_type="party_link", object_id=link.id)
        db_session.commit()
        return link


@blp.route("/party-links/<uuid:link_id>")
class PartyLinkById(MethodView):
    @authenticated("population.write")
    @blp.response(204)
    @blp.alt_response(404, schema=ErrorSchema, description="No such link within your scope")
    def delete(self, link_id):
        """Remove a link."""
        link = get_or_404(db_session, PartyLink, link_id, scope())
        db_session.delete(link)
        audit.record("party_link.delete", object_type="party_link", object_id=link.id)
        db_session.commit()
