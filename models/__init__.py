"""SQLAlchemy 2 models, one module per domain. Importing this package registers them all."""

from models.accounts import (  # noqa: F401
    ADMIN_ROLES,
    AuthSession,
    GridMemberCell,
    HandlingUnit,
    LoginThrottle,
    RateCounter,
    RefreshToken,
    Role,
    User,
)
from models.audit import AuditEvent  # noqa: F401
from models.base import Base  # noqa: F401
from models.emergency import (  # noqa: F401
    ACTIVE_DISPATCH,
    COLOURS,
    Dispatch,
    DispatchStatus,
    DutyStatus,
    Incident,
    IncidentEvent,
    IncidentKind,
    IncidentLevel,
    IncidentStatus,
    Responder,
    ResponderTrack,
    StreamEvent,
    Team,
    TeamKind,
)
from models.governance import (  # noqa: F401
    AttentionLevel,
    CareCategory,
    CareTarget,
    Dispute,
    DisputeKind,
    DisputeOutcome,
    DisputeStatus,
    FollowedKind,
    FollowedPerson,
    FollowedStatus,
    FollowUp,
    FollowUpAssessment,
    KeyPerson,
    KeyPersonCategory,
    MediationSession,
)
from models.idempotency import IdempotencyKey  # noqa: F401
from models.matters import (  # noqa: F401
    Matter,
    MatterCategory,
    MatterDayFact,
    MatterEvent,
    MatterLevel,
    MatterMonthFact,
    MatterSource,
    MatterStatus,
    Rating,
)
from models.notifications import DeadlineReminder, Notification, OutboxMessage  # noqa: F401
from models.open311 import Open311Key  # noqa: F401
from models.patrols import CheckIn, CheckInKind, Patrol, PatrolCell, PatrolDay  # noqa: F401
from models.petitions import (  # noqa: F401
    COLLECTIVE_FROM,
    DECISIONS,
    LEVELS_UP,
    Petition,
    PetitionAccused,
    PetitionChannel,
    PetitionerKey,
    PetitionEvent,
    PetitionKind,
    PetitionReminder,
    PetitionStatus,
)
from models.photos import Photo  # noqa: F401
from models.places import (  # noqa: F401
    CHILD_KIND,
    CODE_LENGTH,
    CellKind,
    Community,
    District,
    GridCell,
    Place,
    PlaceKind,
    Street,
)
from models.population import (  # noqa: F401
    RESIDENT_TAGS,
    Building,
    CellHouseholds,
    Compound,
    Gender,
    Household,
    PartyLink,
    PropertyCompany,
    Relation,
    Resident,
    ResidentKind,
)
from models.responsibility import GridResponsibility, ResponsibilityPost  # noqa: F401
from models.visits import Visit, VisitCommunityWeek, VisitCoverage, VisitResult, visit_versions  # noqa: F401

metadata = Base.metadata
