"""``GET /v1/organization`` (balance, limits, today's use) and ``POST /v1/organization/usage``
(net credits per day and model, from the credit ledger)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Depends
from sqlalchemy import func, select

from kinema.api.deps import current_org, get_app_settings, require_version
from kinema.api.runway_v1.schemas import UsageIn
from kinema.config import Settings
from kinema.errors import InvalidInput
from kinema.platform import db
from kinema.platform.accounts import Caller
from kinema.platform.models import CreditEntry, Organization, Task, utcnow
from kinema.platform.tasks import as_utc, limits_for

router = APIRouter(prefix="/v1", tags=["organization"], dependencies=[Depends(require_version)])


@router.get("/organization")
def organization(
    caller: Caller = Depends(current_org), settings: Settings = Depends(get_app_settings)
) -> dict:
    with db.session_scope(settings) as s:
        org = s.get(Organization, caller.org_id, populate_existing=True)
        assert org is not None
        concurrent, daily = limits_for(org, settings)
        since = utcnow() - timedelta(days=1)
        per_model = dict(
            s.execute(
                select(Task.model, func.count())
                .where(Task.org_id == org.id, Task.created_at >= since)
                .group_by(Task.model)
            ).all()
        )
        return {
            "creditBalance": org.credit_balance,
            "tier": {
                "maxMonthlyCreditSpend": settings.max_monthly_credit_spend,
                "models": {
                    m: {"maxConcurrentGenerations": concurrent, "maxDailyGenerations": daily}
                    for m in settings.models
                },
            },
            "usage": {"models": {m: {"dailyGenerations": int(n)} for m, n in per_model.items()}},
        }


def _day(value: str | None, field: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"Invalid parameter '{field}': expected YYYY-MM-DD.", field=field
        ) from None


@router.post("/organization/usage")
def usage(
    body: UsageIn | None = None,
    caller: Caller = Depends(current_org),
    settings: Settings = Depends(get_app_settings),
) -> dict:
    body = body or UsageIn()
    today = datetime.now(UTC).date()
    start = _day(body.start_date, "startDate", today - timedelta(days=29))  # through today
    before = _day(body.before_date, "beforeDate", start + timedelta(days=30))
    if before <= start or before > start + timedelta(days=90):
        raise InvalidInput(
            "Invalid parameter 'beforeDate': must be after startDate and at most 90 days later.",
            field="beforeDate",
        )
    lo = datetime.combine(start, datetime.min.time(), UTC)
    hi = datetime.combine(before, datetime.min.time(), UTC)
    with db.session_scope(settings) as s:
        rows = s.execute(
            select(CreditEntry.created_at, CreditEntry.model, CreditEntry.amount).where(
                CreditEntry.org_id == caller.org_id,
                CreditEntry.reason.in_(("reserve", "refund")),
                CreditEntry.created_at >= lo,
                CreditEntry.created_at < hi,
            )
        ).all()
    days: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for created, model, amount in rows:
        days[as_utc(created).date().isoformat()][model or "unknown"] -= amount
    models = sorted({m for d in days.values() for m in d})
    return {
        "results": [
            {
                "date": d,
                "usedCredits": [{"model": m, "amount": a} for m, a in sorted(days[d].items())],
            }
            for d in sorted(days)
        ],
        "models": models,
    }
