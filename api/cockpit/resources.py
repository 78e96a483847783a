"""The cockpit's figures (驾驶舱) and the assessment of places (考核)."""

from __future__ import annotations

from flask.views import MethodView

from api.cockpit import service
from api.cockpit.schemas import AssessmentArgsSchema, AssessmentSchema, FiguresArgsSchema, MatterFiguresSchema
from api.context import authenticated, scope
from api.extensions import PLACE_FIGURES_MAX, Blueprint, ErrorSchema, rows_page
from api.policy import get_or_404
from models import Place
from models.db import db_session

blp = Blueprint("cockpit", __name__, url_prefix="/api/v1", description="The cockpit's figures (驾驶舱) and assessment (考核)")


@blp.route("/matters/figures")
class MatterFigures(MethodView):
    @authenticated("figures.read")
    @blp.arguments(FiguresArgsSchema, location="query")
    @blp.response(200, MatterFiguresSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such place within your area")
    def get(self, args):
        """Matters of a period in your area (or one place of it): reported and closed per day and
        per primary category, the on-time rate of each stage (受理 / 处置 / 核查), the average
        handling time and satisfaction, and the open matters now by status. Summed from per-day
        facts kept as matters change, so a year of a district answers as fast as a week."""
        place = get_or_404(db_session, Place, args["place_id"], scope(), field="place_id") if args.get("place_id") else None
        return service.matter_figures(db_session, service.narrowed(scope(), place), args["start"], args["end"])


@blp.route("/assessment")
class Assessment(MethodView):
    @authenticated("assessment.read")
    @blp.arguments(AssessmentArgsSchema, location="query")
    @blp.response(200, AssessmentSchema(many=True))
    @blp.paginate(rows_page(service.assessment_view, total="total"), page_size=50, max_page_size=PLACE_FIGURES_MAX)
    def get(self, args):
        """Every cell, community or street of your area ranked over whole months (考核; this month
        to date by default): patrol coverage, timely reporting, satisfaction and mediation
        success, and their mean as the score; places with nothing to rate come last."""
        return service.assessment(db_session, scope(), args["first"], args["last"], args["level"])
