"""Customer CSV import/export, upserts, bad rows, and the 0002 migration."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session as OrmSession

from inbox_triage.customers.csv_io import (
    COLUMNS,
    CustomerImportError,
    export_customers,
    import_customers,
)
from inbox_triage.customers.matching import match_message
from inbox_triage.db.migrate import current_revision, upgrade
from inbox_triage.db.models import Base, Customer, CustomerKey
from inbox_triage.db.session import make_engine, transaction

ROW = ["CM-20001", "Teszt Elek", "Teszt.Elek@Example.hu", "+36 30 111 2222", "", "", "", "", "",
       "12345678-2-41", "telek", "example.hu; teszt.hu"]  # fmt: skip


def keys_of(session, customer_id: str) -> set[tuple[str, str]]:
    statement = (
        select(CustomerKey.kind, CustomerKey.value)
        .join(Customer)
        .where(Customer.customer_id == customer_id)
    )
    return {(kind, value) for kind, value in session.execute(statement)}


def test_upgrade_creates_customer_tables(tmp_path: Path) -> None:
    """GIVEN an empty SQLite file WHEN upgraded THEN customers and customer_keys exist."""
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    upgrade(engine)
    inspector = inspect(engine)
    assert {"customers", "customer_keys"} <= set(inspector.get_table_names())
    indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("customer_keys")}
    assert indexes["ix_customer_keys_kind_value"] == ["kind", "value"]
    assert current_revision(engine) is not None
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in diff if "customer" in repr(d)]
    assert ours == []
    engine.dispose()


def test_import_creates_records_and_keys(session, tmp_path, write_csv) -> None:
    summary = import_customers(session, write_csv(tmp_path / "c.csv", [ROW]))
    session.commit()
    assert (summary.rows, summary.created, summary.updated) == (1, 1, 0)
    customer = session.scalars(select(Customer)).one()
    assert customer.email == "teszt.elek@example.hu"
    assert customer.domains == ["example.hu", "teszt.hu"]
    assert customer.created_at.tzinfo is not None
    assert {
        ("email", "teszt.elek@example.hu"),
        ("phone", "+36301112222"),
        ("tax", "12345678-2-41"),
        ("tax", "HU12345678"),
        ("username", "telek"),
        ("customer_id", "CM-20001"),
        ("domain", "example.hu"),
        ("domain", "teszt.hu"),
        ("name", "elek teszt"),
    } <= keys_of(session, "CM-20001")


def test_reimport_upserts_and_rebuilds_keys(session, tmp_path, write_csv) -> None:
    """GIVEN a customer WHEN re-imported with a new address THEN the old one stops matching."""
    import_customers(session, write_csv(tmp_path / "a.csv", [ROW]))
    session.commit()
    changed = [*ROW[:2], "uj.cim@example.hu", *ROW[3:]]
    other = ["CM-20002", "Második Ügyfél", "m@example.org", *[""] * 9]
    summary = import_customers(session, write_csv(tmp_path / "b.csv", [changed, other]))
    session.commit()
    assert (summary.created, summary.updated) == (1, 1)
    assert session.scalar(select(func.count()).select_from(Customer)) == 2
    keys = keys_of(session, "CM-20001")
    assert ("email", "uj.cim@example.hu") in keys
    assert ("email", "teszt.elek@example.hu") not in keys


def test_extra_columns_are_kept_and_passwords_never_stored(session, tmp_path, write_csv) -> None:
    header = [*COLUMNS, "segment", "password"]
    path = write_csv(tmp_path / "x.csv", [[*ROW, "VIP", "hunter2"]], header=header)
    summary = import_customers(session, path)
    session.commit()
    assert summary.extra_columns == ["segment"]
    assert summary.ignored_columns == ["password"]
    customer = session.scalars(select(Customer)).one()
    assert customer.extra == {"segment": "VIP"}
    out = io.StringIO()
    export_customers(session, out)
    assert "hunter2" not in out.getvalue()


def test_missing_optional_columns_are_empty(session, tmp_path, write_csv) -> None:
    path = write_csv(tmp_path / "m.csv", [["CM-1", "Csak Név"]], header=["customer_id", "name"])
    import_customers(session, path)
    session.commit()
    customer = session.scalars(select(Customer)).one()
    assert (customer.email, customer.phone, customer.domains, customer.extra) == ("", "", [], {})


def test_bad_rows_are_reported_and_nothing_is_imported(session, tmp_path, write_csv) -> None:
    """GIVEN a file with bad rows WHEN imported THEN every bad line is named, nothing written."""
    import_customers(session, write_csv(tmp_path / "ok.csv", [ROW]))
    session.commit()
    good = ["CM-3", "Jó Sor", "jo@example.hu", *[""] * 9]
    rows = [
        good,
        ["", "Nincs Azonosító", *[""] * 10],
        ["CM-4", "Rossz Cím", "nem-email", *[""] * 9],
        ["CM-5", "Rossz Tel", "", "12", *[""] * 8],
        ["CM-3", "Duplikált", *[""] * 10],
        ["CM-6", "Kevés mező"],
    ]
    with pytest.raises(CustomerImportError) as caught:
        import_customers(session, write_csv(tmp_path / "bad.csv", rows))
    session.rollback()
    reasons = {e.line: e.reason for e in caught.value.errors}
    assert set(reasons) == {3, 4, 5, 6, 7}
    assert "customer_id is empty" in reasons[3]
    assert "email is not a valid e-mail address" in reasons[4]
    assert "phone is not a valid phone number" in reasons[5]
    assert "duplicate customer_id (first on line 2)" in reasons[6]
    assert "expected 12 fields, found 2" in reasons[7]
    assert "line 3: customer_id is empty" in str(caught.value)
    assert session.scalar(select(func.count()).select_from(Customer)) == 1
    assert session.scalars(select(Customer.customer_id)).all() == ["CM-20001"]


def test_line_numbers_count_multiline_fields(session, tmp_path, write_csv) -> None:
    rows = [["CM-7", "Több Soros", "", "", "", "", "", "Fő u. 1.\nII. emelet", *[""] * 4],
            ["CM-8", "Rossz", "x@", *[""] * 9]]  # fmt: skip
    with pytest.raises(CustomerImportError) as caught:
        import_customers(session, write_csv(tmp_path / "ml.csv", rows))
    assert [e.line for e in caught.value.errors] == [4]


def test_header_without_customer_id_is_refused(session, tmp_path, write_csv) -> None:
    with pytest.raises(CustomerImportError, match="no customer_id column"):
        import_customers(session, write_csv(tmp_path / "h.csv", [["A"]], header=["name"]))


def test_semicolon_separated_windows_1250_file(session, tmp_path) -> None:
    """GIVEN Hungarian Excel's export (';' and windows-1250) WHEN imported THEN it reads right."""
    path = tmp_path / "excel.csv"
    path.write_bytes('customer_id;name;domains\nCM-9;Őry Ödön;"a.hu;b.hu"\n'.encode("cp1250"))
    summary = import_customers(session, path)
    session.commit()
    customer = session.scalars(select(Customer)).one()
    assert (summary.encoding, customer.name, customer.domains) == ("cp1250", "Őry Ödön",
                                                                   ["a.hu", "b.hu"])  # fmt: skip


def test_export_round_trips(session, tmp_path, write_csv, customer_rows, sessions) -> None:
    header = [*COLUMNS, "segment"]
    rows = [[*row, "B2B" if i % 2 else ""] for i, row in enumerate(customer_rows)]
    import_customers(session, write_csv(tmp_path / "all.csv", rows, header=header))
    session.commit()
    first = io.StringIO()
    assert export_customers(session, first) == len(customer_rows)
    assert first.getvalue().splitlines()[0] == ",".join(header)
    (tmp_path / "again.csv").write_text(first.getvalue(), encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    upgrade(engine)
    with OrmSession(engine) as other:
        import_customers(other, tmp_path / "again.csv")
        other.commit()
        second = io.StringIO()
        export_customers(other, second)
    engine.dispose()
    assert second.getvalue() == first.getvalue()


def test_import_upsert_and_match_on_sqlite_and_postgresql(
    app, tmp_path, write_csv, customer_rows, mail
) -> None:
    """GIVEN each supported database WHEN importing twice and matching THEN the same results."""
    path = write_csv(tmp_path / "all.csv", customer_rows)
    with transaction(app.sessions) as session:
        assert import_customers(session, path).created == len(customer_rows)
    with transaction(app.sessions) as session:
        assert import_customers(session, path).updated == len(customer_rows)
    with transaction(app.sessions) as session:
        result = match_message(session, mail("x@gmail.com", "Varga Péter, CM-10012"))
        assert (result.level, result.customer_ids) == ("strong", ["CM-10012"])
        out = io.StringIO()
        assert export_customers(session, out) == len(customer_rows)
