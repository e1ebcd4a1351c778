"""Schema diffing by field identity: examples and hypothesis properties."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from temporal_lineage.evolution import POSSIBLE_RENAME, diff_schemas
from temporal_lineage.model import ChangeKind, Field, Schema

TYPES = ["int", "long", "string", "double", "boolean", "date"]
NAMES = st.text(alphabet="abcdefghij", min_size=1, max_size=6)


@st.composite
def schemas(draw: st.DrawFn, with_ids: bool = True) -> Schema:
    """Top-level fields plus one struct with children; unique names and ids."""
    names = draw(st.lists(NAMES, min_size=1, max_size=8, unique=True))
    child_names = draw(st.lists(NAMES, min_size=0, max_size=3, unique=True))
    fields: list[Field] = []
    next_id = 1
    for name in names:
        fields.append(
            Field(next_id if with_ids else None, (name,), draw(st.sampled_from(TYPES)), True)
        )
        next_id += 1
    if child_names and "zz" not in names:
        fields.append(Field(next_id if with_ids else None, ("zz",), "struct", True))
        next_id += 1
        for child in child_names:
            fields.append(Field(next_id if with_ids else None, ("zz", child), "long", True))
            next_id += 1
    return Schema(tuple(fields))


def kinds(changes: tuple[object, ...]) -> list[tuple[str, int | None]]:
    return sorted((c.kind.value, c.field_id) for c in changes)  # type: ignore[attr-defined]


@given(schemas())
def test_a_schema_has_no_changes_from_itself(schema: Schema) -> None:
    assert diff_schemas(schema, schema) == ()


@given(schemas(), st.data())
def test_a_rename_keeps_identity(schema: Schema, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(schema.fields) - 1))
    target = schema.fields[index]
    siblings = {f.name for f in schema.fields if f.path[:-1] == target.path[:-1]}
    new_name = data.draw(NAMES.filter(lambda n: n not in siblings))
    renamed = []
    for f in schema.fields:
        if f.path[: len(target.path)] == target.path:
            path = (*target.path[:-1], new_name, *f.path[len(target.path) :])
            f = replace(f, path=path)
        renamed.append(f)
    changes = diff_schemas(schema, Schema(tuple(renamed)))
    assert kinds(changes) == [("renamed", target.id)]
    assert changes[0].old_path == target.path
    assert changes[0].path == (*target.path[:-1], new_name)


@given(schemas(), st.data())
def test_dropping_a_subtree_reports_only_its_top(schema: Schema, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(schema.fields))
    kept = tuple(f for f in schema.fields if f.path[: len(target.path)] != target.path)
    changes = diff_schemas(schema, Schema(kept))
    assert kinds(changes) == [("dropped", target.id)]
    assert diff_schemas(Schema(kept), schema)[0].kind is ChangeKind.ADDED


@given(schemas(), st.data())
def test_type_and_nullability_changes(schema: Schema, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from([f for f in schema.fields if f.type != "struct"]))
    new_type = data.draw(st.sampled_from([t for t in TYPES if t != target.type]))
    changed = tuple(
        replace(f, type=new_type, nullable=not f.nullable) if f == target else f
        for f in schema.fields
    )
    assert kinds(diff_schemas(schema, Schema(changed))) == [
        ("nullability_changed", target.id),
        ("type_changed", target.id),
    ]


@given(schemas())
def test_reordering_fields_is_not_a_change(schema: Schema) -> None:
    top = [f for f in schema.fields if len(f.path) == 1]
    nested = [f for f in schema.fields if len(f.path) > 1]
    reordered = tuple(reversed(top)) + tuple(nested)
    assert diff_schemas(schema, Schema(reordered)) == ()


@given(schemas(with_ids=False), st.data())
def test_without_ids_a_rename_is_drop_plus_add(schema: Schema, data: st.DataObject) -> None:
    top = [f for f in schema.fields if len(f.path) == 1 and f.type != "struct"]
    target = data.draw(st.sampled_from(top))
    new_name = data.draw(NAMES.filter(lambda n: n not in {f.name for f in top} | {"zz"}))
    renamed = tuple(replace(f, path=(new_name,)) if f == target else f for f in schema.fields)
    changes = diff_schemas(schema, Schema(renamed))
    assert sorted(c.kind.value for c in changes) == ["added", "dropped"]
    added = next(c for c in changes if c.kind is ChangeKind.ADDED)
    assert added.hint == POSSIBLE_RENAME  # one drop, one add of that type: a hint


def test_ambiguous_drops_and_adds_get_no_hint() -> None:
    before = Schema((Field(None, ("a",), "int", True), Field(None, ("b",), "int", True)))
    after = Schema((Field(None, ("c",), "int", True), Field(None, ("d",), "int", True)))
    changes = diff_schemas(before, after)
    assert sorted(c.kind.value for c in changes) == ["added", "added", "dropped", "dropped"]
    assert all(c.hint is None for c in changes)


def test_moved_between_structs() -> None:
    old = Schema(
        (
            Field(1, ("a",), "struct", True),
            Field(2, ("a", "x"), "long", True),
            Field(3, ("b",), "struct", True),
        )
    )
    new = Schema(
        (
            Field(1, ("a",), "struct", True),
            Field(3, ("b",), "struct", True),
            Field(2, ("b", "x"), "long", True),
        )
    )
    (change,) = diff_schemas(old, new)
    assert (change.kind, change.field_id, change.old_path, change.path) == (
        ChangeKind.MOVED,
        2,
        ("a", "x"),
        ("b", "x"),
    )


def test_turning_column_mapping_on_is_not_a_column_change() -> None:
    before = Schema((Field(None, ("id",), "long", True), Field(None, ("n",), "string", True)))
    after = Schema(
        (
            Field(1, ("id",), "long", True, physical_name="id"),
            Field(2, ("n",), "string", True, physical_name="n"),
        )
    )
    assert diff_schemas(before, after) == ()


def test_array_slots_without_ids_follow_their_parent() -> None:
    """Delta column mapping gives no id to array elements: identity goes through the parent."""
    before = Schema(
        (Field(1, ("tags",), "array", True), Field(None, ("tags", "element"), "int", True))
    )
    after = Schema(
        (Field(1, ("labels",), "array", True), Field(None, ("labels", "element"), "long", True))
    )
    assert kinds(diff_schemas(before, after)) == [("renamed", 1), ("type_changed", None)]
