"""A parcel's tracking states, and how the aggregator's state codes map onto them.

A parcel's status is the status of its newest tracking event (by the event's own time), so it depends
only on the set of events received, never on the order the pushes came in: a stale push adds nothing
new and moves nothing back.
"""

from enum import StrEnum

from app.text import N_


class ParcelStatus(StrEnum):
    SHIPPED = "shipped"  #: 已发货: out of our warehouse, the carrier has said nothing yet
    COLLECTED = "collected"  #: 已揽收
    IN_TRANSIT = "in_transit"  #: 运输中
    DELIVERING = "delivering"  #: 派件中
    SIGNED = "signed"  #: 已签收
    PROBLEM = "problem"  #: 疑难
    RETURN_SIGNED = "return_signed"  #: 退签: signed for by the sender on its way back
    RETURNING = "returning"  #: 退回中
    FORWARDED = "forwarded"  #: 转投
    CUSTOMS = "customs"  #: 清关
    REFUSED = "refused"  #: 拒签


PARCEL_STATUS_LABELS = {
    ParcelStatus.SHIPPED: N_("已发货"),
    ParcelStatus.COLLECTED: N_("已揽收"),
    ParcelStatus.IN_TRANSIT: N_("运输中"),
    ParcelStatus.DELIVERING: N_("派件中"),
    ParcelStatus.SIGNED: N_("已签收"),
    ParcelStatus.PROBLEM: N_("疑难"),
    ParcelStatus.RETURN_SIGNED: N_("退签"),
    ParcelStatus.RETURNING: N_("退回中"),
    ParcelStatus.FORWARDED: N_("转投"),
    ParcelStatus.CUSTOMS: N_("清关"),
    ParcelStatus.REFUSED: N_("拒签"),
}

P = ParcelStatus
#: The aggregator's main state codes (platform-apis §6.4).
STATE_CODES: dict[int, ParcelStatus] = {
    0: P.IN_TRANSIT, 1: P.COLLECTED, 2: P.PROBLEM, 3: P.SIGNED, 4: P.RETURN_SIGNED, 5: P.DELIVERING,
    6: P.RETURNING, 7: P.FORWARDED, 8: P.CUSTOMS, 10: P.CUSTOMS, 11: P.CUSTOMS, 12: P.CUSTOMS, 13: P.CUSTOMS,
    14: P.REFUSED,
}
#: The same states by the words events carry in their own ``status`` field.
STATE_WORDS: dict[str, int] = {"在途": 0, "揽收": 1, "疑难": 2, "签收": 3, "退签": 4, "派件": 5, "退回": 6,
                               "转投": 7, "转单": 7, "清关": 8, "待清关": 10, "清关中": 11, "已清关": 12,
                               "清关异常": 13, "拒签": 14}

#: How far along the life each status is: breaks ties between events stamped with the same second.
PROGRESS = {P.SHIPPED: 0, P.COLLECTED: 1, P.IN_TRANSIT: 2, P.CUSTOMS: 2, P.FORWARDED: 3, P.PROBLEM: 3,
            P.DELIVERING: 4, P.REFUSED: 5, P.RETURNING: 6, P.SIGNED: 7, P.RETURN_SIGNED: 8}
#: Something a person must look at: the order goes to the exception queue with the carrier's words.
PROBLEMS = {P.PROBLEM, P.RETURN_SIGNED, P.RETURNING, P.REFUSED}
#: Nothing more will happen to the parcel: no polling.
FINAL = {P.SIGNED, P.RETURN_SIGNED}


def status_for_code(code: str | int | None) -> ParcelStatus | None:
    """The status of an aggregator state code; a sub-state code (``1001``, ``501``) counts as its main
    state, which is its first digit (platform-apis §6.4); None for anything unknown."""
    text = str(code).strip() if code is not None else ""
    if not text.isdigit():
        return None
    if int(text) in STATE_CODES:
        return STATE_CODES[int(text)]
    return STATE_CODES.get(int(text[0]))


def code_for_word(word: str | None) -> int | None:
    return STATE_WORDS.get((word or "").strip())
