"""`publish --now HH:MM` (what `./dev demo` runs) is that time today where the school is: the
policy's time zone decides the date, not the machine's clock (CI runs in UTC, a day behind
Beijing before 08:00)."""

from __future__ import annotations

import datetime
import zoneinfo
from pathlib import Path

import pytest

from pipeline.commands.publish import _now
from pipeline.errors import UserError
from pipeline.policies import load_policies
from tests.testing.fixtures import PROJECT, SAMPLE_POLICY, make_repo


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_time_alone_is_today_in_the_policys_time_zone(tmp_path: Path, zone: str) -> None:
    root = make_repo(tmp_path, policies=SAMPLE_POLICY.replace("timezone: Asia/Shanghai", f"timezone: {zone}"))
    policies = load_policies(root)
    moment = _now("12:30", policies)
    here = datetime.datetime.now(zoneinfo.ZoneInfo(zone))
    assert moment.tzinfo == zoneinfo.ZoneInfo(zone)
    assert (moment.date(), moment.hour, moment.minute) == (here.date(), 12, 30)


def test_a_bad_time_is_explained(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="HH:MM"):
        _now("25:61", load_policies(make_repo(tmp_path)))


def test_dev_demo_passes_a_time_alone() -> None:
    assert '--now 12:30 ' in (PROJECT / "dev").read_text(encoding="utf-8")
    assert "date +%F" not in (PROJECT / "dev").read_text(encoding="utf-8")
