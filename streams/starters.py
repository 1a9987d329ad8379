"""Starter maps a facilitator may begin a new workshop from: plausible value streams with
activities (title, team, process time, wait time, %C&A), links and a parallel branch where
one is plausible. Plain data; `streams.services.starters.stream_start_from` writes one onto a
stream through the board's services.

Times are in hours of work; a day is 8 working hours and a week 5 days, as in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 1.0
DAY = 8 * HOUR
WEEK = 5 * DAY


@dataclass(frozen=True)
class Step:
    """One activity: where it sits (column along the timeline, lane 1 for a parallel branch)
    and its figures. Process and wait times are hours."""

    title: str
    team: str
    process: float
    wait: float
    pca: float
    column: int
    lane: int = 0


@dataclass(frozen=True)
class Starter:
    key: str
    name: str
    description: str
    steps: tuple[Step, ...] = ()
    links: tuple[tuple[int, int], ...] = ()  # (source, target) as indexes into `steps`

    @property
    def step_count(self) -> int:
        return len(self.steps)


STARTERS: tuple[Starter, ...] = (
    Starter(
        key="empty",
        name="Empty map",
        description="Start from a blank board and put the activities on it together.",
    ),
    Starter(
        key="software_delivery",
        name="Software delivery (idea to production)",
        description="A feature from the idea to production: prioritisation, refinement, "
        "design and architecture side by side, build, review, test, approval and release.",
        steps=(
            Step("Idea intake", "Product", 1 * HOUR, 1 * WEEK, 80, 0),
            Step("Prioritisation", "Product", 2 * HOUR, 2 * WEEK, 70, 1),
            Step("Refine requirements", "Product", 4 * HOUR, 3 * DAY, 60, 2),
            Step("UX design", "Design", 1 * DAY, 2 * DAY, 85, 3),
            Step("Architecture review", "Platform", 3 * HOUR, 4 * DAY, 90, 3, lane=1),
            Step("Development", "Development", 4 * DAY, 1 * DAY, 75, 4),
            Step("Code review", "Development", 2 * HOUR, 2 * DAY, 90, 5),
            Step("QA testing", "QA", 2 * DAY, 3 * DAY, 70, 6),
            Step("Change approval", "Operations", 1 * HOUR, 1 * WEEK, 98, 7),
            Step("Deploy to production", "Operations", 2 * HOUR, 1 * DAY, 85, 8),
        ),
        links=((0, 1), (1, 2), (2, 3), (2, 4), (3, 5), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9)),
    ),
    Starter(
        key="incident",
        name="Incident to fix",
        description="From the alert to the fix in production and the review afterwards; "
        "customers are kept informed while the fix is built.",
        steps=(
            Step("Alert fires", "On-call", 0.25 * HOUR, 0.5 * HOUR, 85, 0),
            Step("Triage", "Support", 0.5 * HOUR, 2 * HOUR, 80, 1),
            Step("Escalate to the owning team", "Support", 0.25 * HOUR, 4 * HOUR, 75, 2),
            Step("Diagnose", "Development", 3 * HOUR, 1 * HOUR, 70, 3),
            Step("Write the fix", "Development", 2 * HOUR, 0.5 * HOUR, 80, 4),
            Step("Update customers", "Support", 0.5 * HOUR, 1 * HOUR, 90, 4, lane=1),
            Step("Code review", "Development", 0.5 * HOUR, 4 * HOUR, 90, 5),
            Step("Emergency change approval", "Operations", 0.25 * HOUR, 1 * DAY, 95, 6),
            Step("Deploy the fix", "Operations", 0.5 * HOUR, 2 * HOUR, 90, 7),
            Step("Verify and close", "Support", 0.5 * HOUR, 4 * HOUR, 95, 8),
            Step("Post-incident review", "Engineering", 2 * HOUR, 1 * WEEK, 100, 9),
        ),
        links=(
            (0, 1),
            (1, 2),
            (2, 3),
            (3, 4),
            (3, 5),
            (4, 6),
            (6, 7),
            (7, 8),
            (8, 9),
            (5, 9),
            (9, 10),
        ),
    ),
    Starter(
        key="onboarding",
        name="Customer onboarding",
        description="From the signed contract to the customer's first value: hand-over, "
        "kick-off, access and data migration side by side, configuration, training, go-live.",
        steps=(
            Step("Hand-over from sales", "Sales", 1 * HOUR, 2 * DAY, 70, 0),
            Step("Kick-off call", "Customer success", 1 * HOUR, 3 * DAY, 90, 1),
            Step("Accounts and access", "IT", 2 * HOUR, 2 * DAY, 80, 2),
            Step("Data migration", "Implementation", 2 * DAY, 1 * WEEK, 60, 2, lane=1),
            Step("Configuration", "Implementation", 1 * DAY, 2 * DAY, 70, 3),
            Step("Training", "Customer success", 4 * HOUR, 4 * DAY, 90, 4),
            Step("Go-live", "Implementation", 2 * HOUR, 1 * DAY, 85, 5),
            Step("First value check-in", "Customer success", 1 * HOUR, 2 * WEEK, 95, 6),
        ),
        links=((0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 6), (6, 7)),
    ),
    Starter(
        key="hiring",
        name="Hiring (open role to first day)",
        description="From the approved role to the new colleague's first day: sourcing, "
        "screening, interviews side by side, offer, contract and preparing the first day.",
        steps=(
            Step("Role approval", "Leadership", 2 * HOUR, 1 * WEEK, 90, 0),
            Step("Write the job ad", "Hiring manager", 3 * HOUR, 3 * DAY, 80, 1),
            Step("Source candidates", "Recruiting", 1 * DAY, 2 * WEEK, 70, 2),
            Step("Screen applications", "Recruiting", 1 * DAY, 3 * DAY, 70, 3),
            Step("Technical interview", "Engineering", 3 * HOUR, 1 * WEEK, 85, 4),
            Step("Team interview", "Team", 2 * HOUR, 1 * WEEK, 90, 4, lane=1),
            Step("Offer", "Hiring manager", 2 * HOUR, 2 * DAY, 80, 5),
            Step("Contract and checks", "HR", 1 * HOUR, 1 * WEEK, 95, 6),
            Step("Notice period", "Candidate", 0, 4 * WEEK, 100, 7),
            Step("First day", "Team", 1 * DAY, 0, 75, 8),
        ),
        links=((0, 1), (1, 2), (2, 3), (3, 4), (3, 5), (4, 6), (5, 6), (6, 7), (7, 8), (8, 9)),
    ),
)
STARTERS_BY_KEY: dict[str, Starter] = {starter.key: starter for starter in STARTERS}
DEFAULT_STARTER = "empty"
# The note every non-empty starter leaves on the board, so nobody takes it for their data.
STARTER_NOTE = "A starter map: change every step, team and time to what really happened."
