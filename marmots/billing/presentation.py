"""How invoice lines are shown, the same on the PDF, the back-office and the portal."""

from dataclasses import dataclass, field

from .money import ZERO, money


@dataclass
class LineGroup:
    """The lines of one child, or of the whole family (`child` None: a membership per family,
    a credit or an aid on the whole invoice)."""

    child: object  # families.Child or None
    lines: list = field(default_factory=list)

    @property
    def title(self):
        return f"{self.child.first_name} {self.child.last_name}" if self.child else "Famille"

    @property
    def total(self):
        return money(sum((line.amount for line in self.lines), ZERO))


def group_lines(lines):
    """[LineGroup] per child, in the order of each child's first line; the family's last."""
    groups = {}
    for line in lines:
        if line.child_id not in groups:
            groups[line.child_id] = LineGroup(line.child)
        groups[line.child_id].lines.append(line)
    return sorted(groups.values(), key=lambda group: group.child is None)
