"""Schema diffs by field identity: the typed changes between two consecutive schemas."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from temporal_lineage.model import ChangeKind, Field, Schema, SchemaChange

POSSIBLE_RENAME = "possible_rename"


def _identities(schema: Schema, by_id: bool) -> dict[tuple[str, ...], Hashable]:
    """Each field's identity: its id, or (parent identity, slot name) for id-less slots."""
    identities: dict[tuple[str, ...], Hashable] = {}
    for field in schema.fields:
        if not by_id:
            identities[field.path] = field.path
        elif field.id is not None:
            identities[field.path] = field.id
        else:
            parent = identities.get(field.path[:-1], field.path[:-1])
            identities[field.path] = (parent, field.name)
    return identities


def diff_schemas(old: Schema, new: Schema) -> tuple[SchemaChange, ...]:
    """The changes that turn ``old`` into ``new``, matching fields by identity.

    Same id and a new name is a rename; a different id under an old name is a drop and an
    add. Without ids (Delta without column mapping) a rename cannot be told from drop + add:
    it is reported as such, with a ``possible_rename`` hint on the added field when exactly
    one field of the same type and parent was dropped. Only the top-most field of an added
    or dropped subtree is reported.

    >>> a = Schema((Field(1, ("amount",), "double", True),))
    >>> b = Schema((Field(1, ("total",), "double", True),))
    >>> [(c.kind.value, c.field_id, c.path) for c in diff_schemas(a, b)]
    [('renamed', 1, ('total',))]
    """
    by_id = old.has_field_ids and new.has_field_ids
    old_ids = _identities(old, by_id)
    new_ids = _identities(new, by_id)
    old_by_key = {old_ids[f.path]: f for f in old.fields}
    new_by_key = {new_ids[f.path]: f for f in new.fields}
    old_parent = _parents(old, old_ids)
    new_parent = _parents(new, new_ids)
    changes: list[SchemaChange] = []
    added: list[Field] = []
    for field in new.fields:
        key = new_ids[field.path]
        before = old_by_key.get(key)
        if before is None:
            if new_parent[key] not in new_by_key or new_parent[key] in old_by_key:
                added.append(field)
            continue
        changes.extend(_field_changes(before, field, old_parent[key], new_parent[key]))
    dropped = [
        f
        for f in old.fields
        if old_ids[f.path] not in new_by_key
        and (
            old_parent[old_ids[f.path]] not in old_by_key
            or old_parent[old_ids[f.path]] in new_by_key
        )
    ]
    hinted = _possible_renames(added, dropped) if not by_id else set()
    for field in added:
        changes.append(
            SchemaChange(
                ChangeKind.ADDED,
                field.id,
                field.path,
                None,
                None,
                field.type,
                POSSIBLE_RENAME if field.path in hinted else None,
            )
        )
    for field in dropped:
        changes.append(
            SchemaChange(ChangeKind.DROPPED, field.id, field.path, field.path, field.type, None)
        )
    return tuple(changes)


def _parents(
    schema: Schema, identities: dict[tuple[str, ...], Hashable]
) -> dict[Hashable, Hashable]:
    """The identity of each field's parent (``None`` for top-level fields)."""
    return {
        identities[f.path]: identities.get(f.path[:-1]) if len(f.path) > 1 else None
        for f in schema.fields
    }


def _field_changes(
    before: Field, after: Field, old_parent: Hashable, new_parent: Hashable
) -> list[SchemaChange]:
    def change(kind: ChangeKind) -> SchemaChange:
        return SchemaChange(kind, after.id, after.path, before.path, before.type, after.type)

    found: list[SchemaChange] = []
    if old_parent != new_parent:
        found.append(change(ChangeKind.MOVED))
    if before.name != after.name:
        found.append(change(ChangeKind.RENAMED))
    if before.type != after.type:
        found.append(change(ChangeKind.TYPE_CHANGED))
    if before.nullable != after.nullable:
        found.append(change(ChangeKind.NULLABILITY_CHANGED))
    if (before.doc or None) != (after.doc or None):
        found.append(change(ChangeKind.DOC_CHANGED))
    return found


def _possible_renames(added: list[Field], dropped: list[Field]) -> set[tuple[str, ...]]:
    """Added paths that are probably a rename: the only add and drop of a type under a parent."""

    def slot(field: Field) -> tuple[tuple[str, ...], str]:
        return (field.path[:-1], field.type)

    added_slots = Counter(slot(f) for f in added)
    dropped_slots = Counter(slot(f) for f in dropped)
    return {f.path for f in added if added_slots[slot(f)] == 1 and dropped_slots[slot(f)] == 1}
