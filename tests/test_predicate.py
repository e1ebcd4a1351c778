"""Row predicates: parsed from SQL text, spelled for engines, renamed, refused in one line."""

from __future__ import annotations

import pytest

from temporal_lineage.errors import BadPredicate, ColumnNotFound, ConfigError
from temporal_lineage.predicate import (
    And,
    Column,
    ColumnType,
    Comparison,
    Date,
    InList,
    IsNull,
    Kind,
    Not,
    Op,
    Or,
    Predicate,
    Timestamp,
    ansi_quote,
    check_columns,
    check_types,
    columns,
    renamed,
    text,
    to_sql,
)
from temporal_lineage.sql_lineage.predicate_parse import parse_predicate


def _c(name: str) -> Column:
    return Column(name)


PARSED: list[tuple[str, Predicate]] = [
    ("customer_id = 42", Comparison(_c("customer_id"), Op.EQ, 42)),
    (
        "email = 'a@b.c' AND country IN ('DE','FR')",
        And((Comparison(_c("email"), Op.EQ, "a@b.c"), InList(_c("country"), ("DE", "FR")))),
    ),
    ("x IS NOT NULL", IsNull(_c("x"), negated=True)),
    ("NOT (x IS NULL)", IsNull(_c("x"), negated=True)),
    (
        "NOT (a < 3 OR b >= 'q')",
        Not(Or((Comparison(_c("a"), Op.LT, 3), Comparison(_c("b"), Op.GE, "q")))),
    ),
    ('"Customer ID" = -7', Comparison(_c("Customer ID"), Op.EQ, -7)),
    ('"say ""hi""" <> 1.5', Comparison(_c('say "hi"'), Op.NE, 1.5)),
    ("Email = 'x'", Comparison(_c("email"), Op.EQ, "x")),
    ("3 < a", Comparison(_c("a"), Op.GT, 3)),
    ("a NOT IN (1, 2)", InList(_c("a"), (1, 2), negated=True)),
    ("NOT a IN (1)", InList(_c("a"), (1,), negated=True)),
    (
        "a BETWEEN 1 AND 5",
        And((Comparison(_c("a"), Op.GE, 1), Comparison(_c("a"), Op.LE, 5))),
    ),
    ("ok = FALSE", Comparison(_c("ok"), Op.EQ, False)),
    ("s = 'it''s'", Comparison(_c("s"), Op.EQ, "it's")),
    ("d >= DATE '2024-01-31'", Comparison(_c("d"), Op.GE, Date("2024-01-31"))),
    (
        "t < TIMESTAMP '2024-01-31 10:00:00+00:00'",
        Comparison(_c("t"), Op.LT, Timestamp("2024-01-31 10:00:00+00:00")),
    ),
    (
        "a = 1 AND b = 2 AND (c = 3 OR d IS NULL)",
        And(
            (
                Comparison(_c("a"), Op.EQ, 1),
                Comparison(_c("b"), Op.EQ, 2),
                Or((Comparison(_c("c"), Op.EQ, 3), IsNull(_c("d")))),
            )
        ),
    ),
]


@pytest.mark.parametrize(("source", "tree"), PARSED, ids=[s for s, _ in PARSED])
def test_parse(source: str, tree: Predicate) -> None:
    assert parse_predicate(source) == tree


@pytest.mark.parametrize(("source", "tree"), PARSED, ids=[s for s, _ in PARSED])
def test_the_canonical_text_parses_back(source: str, tree: Predicate) -> None:
    assert parse_predicate(text(tree)) == tree
    assert str(tree) == text(tree)


def test_to_sql_quotes_identifiers_and_strings_per_engine() -> None:
    pred = Or(
        (
            And((Comparison(_c("na`me"), Op.EQ, "o'hara"), IsNull(_c("x")))),
            Not(InList(_c('we"ird'), (1, 2.5, True, Date("2024-02-29")))),
        )
    )
    assert to_sql(pred, ansi_quote) == (
        """("na`me" = 'o''hara' AND "x" IS NULL) OR NOT ("we""ird" IN (1, 2.5, TRUE, """
        "DATE '2024-02-29'))"
    )

    def backtick(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def backslashed(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    assert to_sql(pred, backtick, backslashed) == (
        """(`na``me` = 'o\\'hara' AND `x` IS NULL) OR NOT (`we"ird` IN (1, 2.5, TRUE, """
        "DATE '2024-02-29'))"
    )


def test_canonical_text() -> None:
    assert text(Comparison(_c("customer_id"), Op.NE, 42)) == '"customer_id" <> 42'
    assert str(And((IsNull(_c("a")),))) == '"a" IS NULL'  # one part: no parentheses


def test_columns_and_renamed() -> None:
    pred = And(
        (
            Comparison(_c("user_id"), Op.EQ, 1),
            Or((IsNull(_c("mail")), InList(_c("user_id"), (2, 3)))),
            Not(IsNull(_c("country"), negated=True)),
        )
    )
    assert columns(pred) == ("user_id", "mail", "country")
    moved = renamed(pred, {"user_id": "customer_id", "mail": "email"})
    assert columns(moved) == ("customer_id", "email", "country")
    assert text(moved) == (
        '"customer_id" = 1 AND ("email" IS NULL OR "customer_id" IN (2, 3)) '
        'AND NOT ("country" IS NOT NULL)'
    )
    assert renamed(pred, {}) == pred


# -- refusals: one line, naming the predicate and the fault ---------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "bad predicate: empty text"),
        ("   \n ", "bad predicate: empty text"),
        ("customer_id = ", "bad predicate 'customer_id =': cannot parse: "),
        ("a = 'unterminated", 'bad predicate "a = \'unterminated": cannot parse: '),
        ("a = 1 AND AND b = 2", "bad predicate 'a = 1 AND AND b = 2': cannot parse: "),
        (
            "lower(email) = 'x'",
            "bad predicate \"lower(email) = 'x'\": function LOWER(email) where a column was "
            "expected",
        ),
        ("a = upper('x')", "bad predicate \"a = upper('x')\": function UPPER('x') where a literal"),
        ("a IN (SELECT id FROM t)", "bad predicate 'a IN (SELECT id FROM t)': IN (SELECT ...)"),
        ("a = (SELECT 1)", "bad predicate 'a = (SELECT 1)': subquery (SELECT 1) where a literal"),
        ("a = b", "bad predicate 'a = b': b: a column compared with a column is not supported"),
        ("a + 1 = 2", "bad predicate 'a + 1 = 2': arithmetic a + 1 where a column"),
        ("a = 2 * 3", "bad predicate 'a = 2 * 3': arithmetic 2 * 3 where a literal"),
        ("a = NULL", "bad predicate 'a = NULL': a = NULL is never true: write IS NULL"),
        ("a IN (1, NULL)", "bad predicate 'a IN (1, NULL)': NULL in an IN list"),
        ("a LIKE 'x%'", "bad predicate \"a LIKE 'x%'\": a LIKE 'x%' is not supported"),
        ("t.a = 1", "bad predicate 't.a = 1': t.a: only top-level columns"),
        ("a = 1; DROP TABLE t", "bad predicate 'a = 1; DROP TABLE t': "),
        ("a = 1e999", "bad predicate 'a = 1e999': not a finite number: inf"),
        ("d = DATE '2024-13-01'", "bad predicate \"d = DATE '2024-13-01'\": not an ISO date"),
        ("TRUE", "bad predicate 'TRUE': TRUE is not supported"),
    ],
)
def test_refused_predicates(source: str, message: str) -> None:
    with pytest.raises(BadPredicate) as raised:
        parse_predicate(source)
    shown = str(raised.value)
    assert "\n" not in shown and "\x1b" not in shown, shown
    assert shown.startswith(message), shown


def test_bad_predicate_is_a_usage_error() -> None:
    from temporal_lineage.api.problems import status_of
    from temporal_lineage.cli.exit_codes import exit_code

    error = BadPredicate("bad predicate 'x': x is not supported")
    assert isinstance(error, ConfigError)
    assert exit_code(error) == 2 and status_of(error) == 422


def test_check_columns_names_the_missing_column() -> None:
    pred = parse_predicate("customer_id = 1 OR emial = 'x'")
    check_columns(pred, ["customer_id", "emial"], "lake.crm.people")
    with pytest.raises(ColumnNotFound) as raised:
        check_columns(pred, ["customer_id", "email", "country"], "lake.crm.people")
    assert str(raised.value) == (
        "lake.crm.people has no column 'emial' (columns: customer_id, email, country)"
    )


TYPES = {
    "id": ColumnType("long", Kind.INTEGER),
    "score": ColumnType("double", Kind.FLOAT),
    "amount": ColumnType("decimal(10, 2)", Kind.DECIMAL, scale=2),
    "name": ColumnType("string", Kind.STRING),
    "ok": ColumnType("boolean", Kind.BOOLEAN),
    "day": ColumnType("date", Kind.DATE),
    "at": ColumnType("timestamptz", Kind.TIMESTAMP_TZ),
    "local": ColumnType("timestamp", Kind.TIMESTAMP),
    "blob": ColumnType("binary", Kind.OTHER),
}


@pytest.mark.parametrize(
    "source",
    [
        "id = 1 AND score > 1 AND score < 2.5 AND amount = 1.25 AND amount IN (3, 0.5)",
        "name IN ('a', 'b') AND ok = TRUE AND day = DATE '2024-01-01'",
        "at >= TIMESTAMP '2024-01-01T00:00:00Z' AND local < TIMESTAMP '2024-01-01 10:00:00'",
        "blob IS NULL AND unknown = 'checked by check_columns'",
    ],
)
def test_check_types_accepts_exact_comparisons(source: str) -> None:
    check_types(parse_predicate(source), TYPES, "t")


@pytest.mark.parametrize(
    ("source", "fault"),
    [
        ("id = '1'", "column 'id' is long: compare it with an integer"),
        ("id IN (1, 2.5)", "column 'id' is long: compare it with an integer"),
        ("id = TRUE", "column 'id' is long: compare it with an integer"),
        ("amount = 1.255", "column 'amount' is decimal(10, 2): compare it with a number"),
        ("name = 1", "column 'name' is string: compare it with a string"),
        ("day = '2024-01-01'", "column 'day' is date: compare it with DATE 'YYYY-MM-DD'"),
        (
            "at = TIMESTAMP '2024-01-01 00:00:00'",
            "column 'at' is timestamptz: compare it with TIMESTAMP '...' with a zone offset",
        ),
        ("blob = 'x'", "column 'blob' is binary: compare it with nothing (only IS [NOT] NULL)"),
    ],
)
def test_check_types_refuses_inexact_comparisons(source: str, fault: str) -> None:
    pred = parse_predicate(source)
    with pytest.raises(BadPredicate) as raised:
        check_types(pred, TYPES, "lake.raw.t snapshot 5")
    assert str(raised.value) == f"bad predicate on lake.raw.t snapshot 5: {text(pred)}: {fault}"


def test_trees_refuse_what_no_engine_agrees_on() -> None:
    with pytest.raises(BadPredicate, match="empty IN list"):
        InList(_c("a"), ())
    with pytest.raises(BadPredicate, match="AND of nothing"):
        And(())
    with pytest.raises(BadPredicate, match="not a finite number"):
        Comparison(_c("a"), Op.GT, float("nan"))
    with pytest.raises(BadPredicate, match="not an ISO timestamp"):
        Timestamp("yesterday")
