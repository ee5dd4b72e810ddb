"""The policy facts are data: read from data/policy.toml, in both languages, not in code."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from inbox_triage.cases.deadlines import load_response_policy
from inbox_triage.drafting.environment import long_date_en, long_date_hu, on_day_hu, until_day_hu
from inbox_triage.drafting.policy import load_policy_document, localized
from inbox_triage.errors import ConfigError
from inbox_triage.resources import resource_path

POLICY = resource_path("data", "policy.toml")
FACTS = ["27723797-2-13", "Dunaharaszti", "Csók István", "Szilágyi Erzsébet", "391-1400",
         "ugyfelszolgalat@naih.hu", "169. §", "Google Analytics", "MyStat"]  # fmt: skip


def test_the_facts_are_in_the_policy_file_in_both_languages() -> None:
    document = load_policy_document(POLICY)
    hu, en = localized(document, "hu"), localized(document, "en")
    assert (
        hu["controller"]
        == en["controller"]
        == {
            "name": "Cloudmaster Kft.",
            "address": "2330 Dunaharaszti, Csók István utca 9/c",
            "tax_number": "27723797-2-13",
            "email": "info@clmaster.eu",
            "website": "www.clmaster.eu",
        }
    )
    assert (hu["authority"]["address"], hu["authority"]["email"], hu["authority"]["phone"]) == (
        "1125 Budapest, Szilágyi Erzsébet fasor 22/c",
        "ugyfelszolgalat@naih.hu",
        "+36 1 391-1400",
    )
    assert "törvényszék" in hu["court"]["text"] and "törvényszék" in en["court"]["text"]
    retention = {p["id"]: p["retention"] for p in en["processing"]}
    assert retention["server_logs"] == "30 days" and retention["complaints"] == "at most 5 years"
    assert "8 years" in retention["accounting"] and "released" in retention["domains"]
    assert {p["audience"] for p in en["processing"]} == {"customers", "website"}
    assert [a["name"] for a in en["analytics"]] == ["Google Analytics", "MyStat"]
    assert len(en["rights"]) == 10 and hu["rights"][1]["name"] == "Hozzáférési jog"
    assert "169" in en["erasure"]["kept"][0]["basis"]


def test_the_deadline_engine_still_reads_its_tables() -> None:
    policy = load_response_policy(POLICY)
    assert policy.response_times["objection"] == 15 and policy.nonworking_day == "previous"


def test_nothing_of_the_policy_is_written_in_python_or_templates() -> None:
    sources = list(resource_path("templates").glob("*/drafts/**/*.*"))
    sources += list(Path(__file__).resolve().parents[2].joinpath("src").rglob("*.py"))
    assert sources
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for fact in FACTS:
            assert fact not in text, (path, fact)


def test_a_fact_without_english_wording_is_refused(tmp_path: Path) -> None:
    text = POLICY.read_text(encoding="utf-8").replace(
        'retention = { hu = "30 nap", en = "30 days" }', 'retention = { hu = "30 nap" }'
    )
    assert text != POLICY.read_text(encoding="utf-8")
    broken = tmp_path / "policy.toml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"processing\[4\]\.retention: needs both hu and en"):
        load_policy_document(broken)


def test_a_missing_table_is_named(tmp_path: Path) -> None:
    document = tomllib.loads(POLICY.read_text(encoding="utf-8"))
    broken = tmp_path / "policy.toml"
    broken.write_text("[controller]\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"controller\.address: missing"):
        load_policy_document(broken)
    assert "authority" in document


@pytest.mark.parametrize(("day", "on", "until"), [
    (date(2026, 4, 1), "2026. április 1-jén", "2026. április 1-jéig"),
    (date(2026, 3, 2), "2026. március 2-án", "2026. március 2-áig"),
    (date(2026, 3, 5), "2026. március 5-én", "2026. március 5-éig"),
    (date(2026, 3, 20), "2026. március 20-án", "2026. március 20-áig"),
    (date(2026, 3, 21), "2026. március 21-én", "2026. március 21-éig"),
    (date(2026, 12, 30), "2026. december 30-án", "2026. december 30-áig"),
])  # fmt: skip
def test_hungarian_dates_take_the_right_ending(day: date, on: str, until: str) -> None:
    assert (on_day_hu(day), until_day_hu(day)) == (on, until)
    assert long_date_hu(day) == on.rsplit(" ", 1)[0] + f" {day.day}."
    assert long_date_en("2026-03-02") == "2 March 2026"
