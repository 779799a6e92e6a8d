"""Words of the demo data: practices, places, titles, project names and interaction texts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PracticeSpec:
    name: str
    code: str
    industries: tuple[str, ...]
    time_zone: str


PRACTICES: list[PracticeSpec] = [
    PracticeSpec("Aerospace & Defence", "AD", ("aerospace", "defence"), "Europe/London"),
    PracticeSpec("Financial Services", "FS", ("banking", "insurance"), "Europe/London"),
    PracticeSpec("Public Sector", "PS", ("public",), "Europe/Paris"),
    PracticeSpec("Digital Consulting", "DC", ("technology", "retail"), "Europe/Paris"),
    PracticeSpec("Energy & Utilities", "EU", ("energy",), "Europe/Berlin"),
    PracticeSpec("Telecom & Media", "TM", ("telecom",), "Europe/Berlin"),
    PracticeSpec(
        "Manufacturing & Mobility",
        "MM",
        ("automotive", "manufacturing", "transport"),
        "America/New_York",
    ),
    PracticeSpec("Health & Life Sciences", "HL", ("healthcare",), "America/Chicago"),
]

# Share of clients per industry: an IT services, aerospace and consulting firm's book.
INDUSTRY_WEIGHTS: dict[str, int] = {
    "aerospace": 14,
    "defence": 8,
    "banking": 10,
    "insurance": 7,
    "public": 10,
    "healthcare": 7,
    "technology": 10,
    "retail": 6,
    "energy": 7,
    "telecom": 7,
    "automotive": 5,
    "manufacturing": 6,
    "transport": 5,
}

# Words appended to a generated company name to make the industry visible.
INDUSTRY_SUFFIXES: dict[str, tuple[str, ...]] = {
    "aerospace": ("Aerospace", "Avionics", "Aviation", "Aerostructures", "Space Systems"),
    "defence": ("Defence Systems", "Defence", "Naval Systems", "Security Systems"),
    "banking": ("Bank", "Banking Group", "Capital", "Savings Bank"),
    "insurance": ("Insurance", "Assurance", "Mutual", "Re"),
    "public": ("Council", "Agency", "Authority", "Services"),
    "healthcare": ("Health", "Pharma", "Medical", "Life Sciences"),
    "technology": ("Digital", "Software", "Media", "Technologies"),
    "retail": ("Retail", "Stores", "Brands", "Foods"),
    "energy": ("Energy", "Power", "Utilities", "Grid"),
    "telecom": ("Telecom", "Networks", "Mobile", "Communications"),
    "automotive": ("Motors", "Automotive", "Mobility"),
    "manufacturing": ("Industries", "Manufacturing", "Engineering", "Components"),
    "transport": ("Logistics", "Rail", "Freight", "Airports"),
}


@dataclass(frozen=True)
class Place:
    locale: str
    country: str
    cities: tuple[tuple[str, str], ...]  # (city, time zone)
    weight: int


PLACES: list[Place] = [
    Place(
        "en_GB",
        "United Kingdom",
        (
            ("London", "Europe/London"),
            ("Bristol", "Europe/London"),
            ("Manchester", "Europe/London"),
            ("Derby", "Europe/London"),
            ("Edinburgh", "Europe/London"),
            ("Farnborough", "Europe/London"),
        ),
        30,
    ),
    Place(
        "fr_FR",
        "France",
        (
            ("Paris", "Europe/Paris"),
            ("Toulouse", "Europe/Paris"),
            ("Lyon", "Europe/Paris"),
            ("Bordeaux", "Europe/Paris"),
            ("Nantes", "Europe/Paris"),
        ),
        20,
    ),
    Place(
        "de_DE",
        "Germany",
        (
            ("Munich", "Europe/Berlin"),
            ("Hamburg", "Europe/Berlin"),
            ("Frankfurt", "Europe/Berlin"),
            ("Bremen", "Europe/Berlin"),
            ("Stuttgart", "Europe/Berlin"),
        ),
        18,
    ),
    Place(
        "en_US",
        "United States",
        (
            ("New York", "America/New_York"),
            ("Seattle", "America/Los_Angeles"),
            ("Chicago", "America/Chicago"),
            ("Houston", "America/Chicago"),
            ("Boston", "America/New_York"),
            ("Los Angeles", "America/Los_Angeles"),
        ),
        20,
    ),
    Place(
        "nl_NL",
        "Netherlands",
        (("Amsterdam", "Europe/Amsterdam"), ("Rotterdam", "Europe/Amsterdam")),
        6,
    ),
    Place("es_ES", "Spain", (("Madrid", "Europe/Madrid"), ("Seville", "Europe/Madrid")), 6),
]

# Contact titles by depth in the client's reporting tree (0 is the top).
TITLES_BY_DEPTH: list[tuple[str, ...]] = [
    (
        "Chief Executive Officer",
        "Chief Information Officer",
        "Chief Operating Officer",
        "Managing Director",
        "Chief Technology Officer",
    ),
    (
        "Programme Director",
        "Head of Engineering",
        "Head of IT",
        "Procurement Director",
        "Finance Director",
        "Head of Operations",
        "Head of Digital",
        "Chief Architect",
    ),
    (
        "Programme Manager",
        "Engineering Manager",
        "Procurement Manager",
        "IT Service Manager",
        "Product Owner",
        "Quality Manager",
        "Test Manager",
        "Contracts Manager",
    ),
    (
        "Lead Engineer",
        "Business Analyst",
        "Systems Engineer",
        "Buyer",
        "Solution Architect",
        "Service Desk Lead",
        "Software Developer",
        "Data Analyst",
    ),
]

STAFF_TITLES = (
    "Project Manager",
    "Senior Project Manager",
    "Programme Manager",
    "Delivery Manager",
    "Engagement Manager",
)

PROJECT_SUBJECTS: dict[str, tuple[str, ...]] = {
    "aerospace": (
        "Cabin software upgrade",
        "Flight test data platform",
        "MRO system replacement",
        "Avionics verification bench",
        "Supply chain visibility",
        "Engineering PLM migration",
    ),
    "defence": (
        "Secure network refresh",
        "Logistics information system",
        "Training simulator support",
        "Mission planning tools",
    ),
    "banking": (
        "Core banking migration",
        "Payments modernisation",
        "Regulatory reporting",
        "Mobile banking app",
        "Fraud analytics",
    ),
    "insurance": (
        "Claims platform",
        "Policy admin replacement",
        "Broker portal",
        "IFRS 17 reporting",
    ),
    "public": ("Citizen portal", "Case management system", "Cloud migration", "Digital identity"),
    "healthcare": ("Clinical data platform", "Lab systems integration", "Patient app"),
    "technology": ("Data platform", "Customer analytics", "Content platform rebuild"),
    "retail": ("E-commerce replatform", "Store systems rollout", "Loyalty programme"),
    "energy": ("Smart meter data hub", "Grid asset management", "Trading platform upgrade"),
    "telecom": ("Network inventory", "BSS transformation", "5G rollout support"),
    "automotive": ("Connected vehicle backend", "Plant MES rollout", "Dealer system"),
    "manufacturing": ("ERP rollout", "MES integration", "Predictive maintenance"),
    "transport": ("Fleet management system", "Ticketing platform", "Warehouse automation"),
}

PROJECT_PHASES = ("", " phase 2", " phase 3", " pilot", " rollout", " support")

SUMMARIES: dict[str, tuple[str, ...]] = {
    "meeting": (
        "Weekly progress review",
        "Planning session for the next release",
        "Risk and issue review",
        "Scope walkthrough with the product owner",
        "Test readiness review",
        "Resource planning discussion",
    ),
    "call": (
        "Call about the delivery date",
        "Quick call on an open defect",
        "Call to clarify acceptance criteria",
        "Budget check-in call",
        "Call about a change request",
    ),
    "site_visit": (
        "Day on site with the engineering team",
        "Site visit for the integration tests",
        "On-site support for go-live",
        "Visit to the operations centre",
    ),
    "workshop": (
        "Requirements workshop",
        "Architecture workshop",
        "Lessons-learned workshop",
        "Training session for the client's key users",
        "Roadmap workshop",
    ),
    "email": (
        "Sent the weekly status report",
        "Answered questions on the invoice",
        "Shared the updated plan",
        "Replied about test environment access",
        "Sent meeting minutes and actions",
        "Confirmed the release date",
    ),
    "social": (
        "Lunch with the sponsor",
        "Team dinner after go-live",
        "Coffee with the programme director",
        "Industry conference together",
    ),
    "steering": (
        "Monthly steering committee",
        "Quarterly business review",
        "Steering review of milestones and budget",
    ),
}

TOPICS = (
    "schedule on track",
    "two risks escalated",
    "client asked for extra reports",
    "acceptance tests slipping a week",
    "new stakeholder introduced",
    "budget burn discussed",
    "positive feedback on the last release",
    "concerns about team turnover",
    "follow-on needs mentioned",
    "open questions on scope",
    "integration issues resolved",
    "dependencies on the client's IT team",
)

NEXT_STEPS = (
    "Send the revised plan",
    "Confirm test environment dates",
    "Prepare the change request",
    "Book the next steering review",
    "Share the risk register",
    "Propose a follow-on workshop",
    "Send the invoice breakdown",
    "Introduce our security practice",
    "Organise a demo for the new sponsor",
    "Update the acceptance criteria",
    "Escalate the staffing question internally",
    "Circulate the meeting minutes",
)

OPPORTUNITY_TITLES = (
    "{subject} phase 2",
    "Managed service for {subject}",
    "Support contract extension",
    "Cyber security assessment",
    "Data platform discovery",
    "Cloud migration of legacy systems",
    "Test automation programme",
    "Training programme for key users",
    "{subject} rollout to other sites",
    "Application maintenance renewal",
)

LEFT_NOTES = ("Moved to a competitor", "Retired", "Reorganisation", "Left for another role")

# ─── Delivery: status reports, milestones, change requests ───

MILESTONE_NAMES = (
    "Kick-off and project charter signed",
    "Requirements baseline approved",
    "Solution design approved",
    "Environments ready",
    "First release delivered",
    "Data migration rehearsal passed",
    "Integration tests passed",
    "System tests passed",
    "User acceptance tests passed",
    "Go-live",
    "Hypercare closed",
)
FINAL_MILESTONE = "Final acceptance and hand-over"

NARRATIVES: dict[str, tuple[str, ...]] = {
    "green": (
        "Work is on plan; the last release was accepted without findings.",
        "Progress as planned; the team is at full strength.",
        "On track for the next milestone; no open escalations.",
        "Steady period: design and build tasks closed as planned.",
    ),
    "amber": (
        "Some slippage on the integration work; a recovery plan is in place.",
        "Burn is ahead of progress this period; the staffing mix is under review.",
        "Dependencies on the client's IT team are delaying testing.",
        "Acceptance criteria still moving; the next milestone is at risk.",
    ),
    "red": (
        "Behind plan: the test phase slipped and costs are above budget.",
        "Scope growth without change control has eaten the contingency.",
        "Key staff left; velocity dropped and the go-live date is at risk.",
        "Environment problems blocked the team for most of the period.",
    ),
    "hold": ("On hold at the client's request; a small team keeps the environments alive.",),
    "done": ("Final acceptance signed; the project is closed.",),
}
RISKS = (
    "",
    "Client test team availability in the next period.",
    "Late delivery of the third-party interface.",
    "Turnover in the client's product owner role.",
    "Data quality of the legacy system.",
    "Budget approval for the next phase not yet signed.",
    "Performance of the integration platform under load.",
)
REPORT_NEXT_STEPS = (
    "Close the open defects before the release.",
    "Agree the test plan with the client.",
    "Present the recovery plan at the steering committee.",
    "Start the data migration rehearsal.",
    "Confirm staffing for the next quarter.",
    "Prepare the acceptance documents.",
)
REBASELINE_REASONS = (
    "Scope added by the client's steering committee; new budget and dates agreed.",
    "Re-plan after the integration platform was delayed by the client's supplier.",
    "The client moved the go-live; plan and budget re-approved.",
)
REVISION_REASONS = (
    "Late supplier invoices added to the actual cost.",
    "Timesheets corrected after the month-end close.",
    "Earned value corrected after the milestone review.",
)
CHANGE_SUBJECTS = (
    "Extra report for the finance team",
    "Additional interface to the HR system",
    "Second language for the user interface",
    "More test cycles before go-live",
    "New user role with its own permissions",
    "Migration of five more years of history",
    "Support during the client's year-end close",
    "Dashboard for the operations centre",
    "Extra training sessions for regional teams",
    "Single sign-on with the client's directory",
    "Additional environment for performance tests",
    "Changes to the approval workflow",
    "Export of the data to the client's warehouse",
    "On-site presence for the audit",
)
DECISION_REASONS: dict[str, tuple[str, ...]] = {
    "billed": (
        "Outside the contracted scope; priced at our rates and signed.",
        "Quoted and accepted by the client's sponsor.",
        "Covered by an amendment to the statement of work.",
    ),
    "absorbed": (
        "Goodwill: the client is under budget pressure this year.",
        "Small enough to absorb; keeps the relationship smooth.",
        "Done to keep the sponsor happy before the renewal.",
        "The client's team had already assumed it was in scope.",
    ),
    "declined": (
        "Not compatible with the go-live date; proposed for phase 2.",
        "Against the agreed architecture.",
        "The client withdrew it after the estimate.",
    ),
}

# Survey verbatims. A reason answers "why that score?": its theme follows what the respondent
# lived through (a slipping project, a PM gone native, an account nobody visits), and an
# optional second sentence adds detail. {pm} is the project manager's first name, {project}
# the project's name.
SURVEY_REASONS: dict[str, dict[str, tuple[str, ...]]] = {
    "promoter": {
        "delivery": (
            "The team delivers what it promises.",
            "Every milestone so far has landed on the agreed date.",
            "{project} is on time and on budget, which is rare for us.",
            "They hit the dates they commit to, and the quality is there.",
            "Clear plans and no surprises.",
        ),
        "pm": (
            "Our project manager really understands our business.",
            "{pm} knows our organisation better than some of our own managers.",
            "{pm} anticipates problems before we see them.",
            "{pm} runs the steering committees better than anyone we have worked with.",
        ),
        "team": (
            "Good people who feel like part of our team.",
            "The same senior people from the start, no rotation.",
            "The consultants are sharp and easy to work with.",
            "A stable team that knows our systems inside out.",
        ),
        "responsive": (
            "Responsive, and honest when something goes wrong.",
            "Questions get an answer the same day.",
            "When we had an incident they were on it within the hour.",
            "They tell us the bad news early, with a plan.",
        ),
        "value": (
            "Worth every euro; they saved us a failed go-live.",
            "They challenge our requirements and we end up with a simpler solution.",
            "They brought ideas we had not asked for, and they were good ones.",
        ),
    },
    "passive": {
        "reporting": (
            "Good work, but reporting could be clearer.",
            "The status reports are long; we would like the key points first.",
            "We sometimes learn about issues in the steering committee rather than before.",
        ),
        "cost": (
            "Fine overall; a little expensive.",
            "Solid work, but the change requests add up quickly.",
            "Good value on the core work, less so on the extras.",
        ),
        "initiative": (
            "Solid delivery, not much initiative.",
            "They do what is asked, rarely more.",
            "Competent, but we have to drive most of the ideas ourselves.",
        ),
        "people": (
            "Depends a lot on who is on the team.",
            "{pm} is good; some of the juniors needed a lot of guidance.",
            "The first months were rocky; better since the team settled.",
        ),
        "pace": (
            "The quality is there, but {project} is a few weeks behind.",
            "Good people, though the last milestone came late.",
            "Delivery is improving after a slow start.",
        ),
    },
    "detractor": {
        "slipping": (
            "Deadlines keep slipping.",
            "Milestones on {project} have slipped three times this year.",
            "The acceptance date moved again and we only heard the week before.",
            "We planned our launch around their dates and had to postpone it twice.",
            "Late on every milestone, and the recovery plans do not hold.",
        ),
        "turnover": (
            "Too many changes of people on the team.",
            "We are on our third project manager on {project}.",
            "Every time someone leaves we have to explain our business again.",
            "The senior people from the sale disappeared after the first month.",
        ),
        "slow": (
            "Questions take a week or more to get an answer.",
            "Our support tickets sit for days without a reply.",
            "We chase them for answers; it should be the other way round.",
            "Slow to react when production was down.",
        ),
        "silence": (
            "Nobody has been in touch for months.",
            "We hear from the firm only when it wants to sell something.",
            "No visit, no call since the contract was signed.",
        ),
        "native": (
            "Our project manager is great, the firm behind them less so.",
            "{pm} is excellent; the firm's management says no to everything {pm} agrees.",
            "We trust {pm}, not the organisation behind them.",
        ),
        "cost": (
            "Costs keep going up without a clear reason.",
            "Every small change becomes a paid change request.",
            "The invoices do not match what was agreed.",
        ),
        "quality": (
            "Too many defects found in our acceptance tests.",
            "The hand-over documentation was thin; our team could not take over.",
            "We had to rework part of the delivery ourselves.",
        ),
    },
}
SURVEY_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "promoter": (
        "We will use them again for the next phase.",
        "I have already recommended them to a peer.",
        "Keep the same team, please.",
        "Our board noticed the difference.",
        "The best supplier we have on this programme.",
    ),
    "passive": (
        "Nothing that cannot be fixed.",
        "We raised it at the last review.",
        "Still, we would work with them again.",
        "A better handover between people would help.",
    ),
    "detractor": (
        "We raised it at the steering committee and nothing changed.",
        "We are looking at other suppliers for the next phase.",
        "Our sponsor is losing patience.",
        "It has cost us credibility with our own management.",
        "We expected better for the price.",
    ),
}
# CSAT comments after an accepted milestone, by score: 5, 4, or 3 and below.
SURVEY_COMMENTS: dict[str, tuple[str, ...]] = {
    "delighted": (
        "Nothing much; keep it up.",
        "A smooth acceptance; the test evidence was complete.",
        "Delivered on the day, with documentation our team could use.",
        "Well prepared: the demo answered our questions before we asked them.",
        "{pm} made the acceptance easy.",
    ),
    "satisfied": (
        "A little more notice before the acceptance meeting.",
        "Good, though a few small defects came up late.",
        "Fine; the release notes could be clearer.",
        "On time; we would have liked a dry run first.",
        "Send the test report a few days earlier next time.",
    ),
    "unhappy": (
        "Deliver on the date that was agreed.",
        "Test more before handing over.",
        "Tell us earlier when something is late.",
        "The milestone slipped by three weeks and we heard at the last minute.",
        "Too many open defects at acceptance; we signed under protest.",
        "A new person ran the acceptance and did not know the history.",
        "We waited days for answers during the acceptance tests.",
    ),
}
