"""The improvement changes `permanence annotate` records: added, listed and removed. They are
not about any one case, so they are kept apart from the case records."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, delete, select

from permanence.measures.figures import Annotation
from permanence.models.annotations import Annotation as AnnotationRow


def add_annotation(*, session: Session, changed_on: date, text: str) -> Annotation:
    """Record a change made on `changed_on`; returns it with its number."""
    row = AnnotationRow(changed_on=changed_on, text=text)
    session.add(row)
    session.flush()
    assert row.id is not None
    return Annotation(row.changed_on, row.text, row.id)


def list_annotations(*, session: Session) -> list[Annotation]:
    """Every change recorded, oldest first (of one day, in the order recorded)."""
    rows = session.exec(select(AnnotationRow).order_by(col(AnnotationRow.changed_on),
                                                       col(AnnotationRow.id))).all()
    return [Annotation(row.changed_on, row.text, row.id or 0) for row in rows]


def remove_annotation(*, session: Session, annotation_id: int) -> Annotation | None:
    """Forget one change by its number; returns what it was, or None if there is no such."""
    row = session.get(AnnotationRow, annotation_id)
    if row is None:
        return None
    removed = Annotation(row.changed_on, row.text, annotation_id)
    session.exec(delete(AnnotationRow).where(col(AnnotationRow.id) == annotation_id))
    return removed
