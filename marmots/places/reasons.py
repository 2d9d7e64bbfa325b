"""Why a family did not get a day: the French sentence kept on the wish and sent by e-mail.
Pure: no Django import."""

from . import proposal

TOGETHER = "les frères et sœurs ne sont pas séparés"


def standing(request):
    """'votre rang : 7, 4 points'."""
    score = request.score or 0
    return f"votre rang : {request.rank}, {score} point{'s' if score > 1 else ''}"


def no_group(age):
    """The reason a child no age group of the slot takes is refused."""
    return f"Aucune place n'est prévue pour les enfants de {age} ans ce jour-là."


def _limit(block):
    if block.kind == proposal.GROUP:
        return f"{block.group.capacity} places pour les {block.group.label}"
    return f"{block.places} places ce jour-là"


def why_not(unit, request, wishes, room, outcomes=None):
    """The reason `unit` (children of `request` on a slot-day) was not granted, given the
    `room` as it stands after the allocation; `outcomes`: the booking machinery's answers when
    it refused a granted day."""
    rank = standing(request)
    for outcome in outcomes or ():
        if not outcome.ok and outcome.code != "full" and len(wishes) > 1:
            return (
                f"Non attribué : {outcome.change.child.first_name} ne pouvait pas être "
                f"accueilli(e) ce jour-là ({outcome.message}) et {TOGETHER}."
            )
    if any(w.adjusted_by_id and not w.proposed for w in wishes):
        return f"Place non retenue par la structure lors de l'examen des demandes ({rank})."
    block = proposal.blocker(room, room.taken_ages, unit.ages)
    if block is None:
        return f"Place non attribuée ({rank})."
    if block.kind == proposal.NO_GROUP:
        return no_group(block.age)
    if block.needed > 1 and block.free > 0:
        free = f"{block.free} place{'s' if block.free > 1 else ''}"
        where = f"pour les {block.group.label}" if block.kind == proposal.GROUP else "ce jour-là"
        return (
            f"Complet : il restait {free} {where} pour {block.needed} enfants demandés ensemble, "
            f"et {TOGETHER} ({rank})."
        )
    if unit.preference > 1:
        return (
            f"Complet : {_limit(block)}, attribuées d'abord aux premiers choix des familles "
            f"(ce jour était votre choix n° {unit.preference} ; {rank})."
        )
    return f"Complet : {_limit(block)}, attribuées aux demandes mieux classées ({rank})."
