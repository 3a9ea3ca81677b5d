"""What the scheme adds to the core's vocabulary: a kind of unit and a kind of record."""

from zhibu.plugins import OrgKind, RecordKind

STATION = OrgKind("station", "站所", "Township station")  # 镇(办)站所党组织

VOLUNTEER = RecordKind(
    "volunteer_service",
    "志愿服务",
    "Volunteer service",
    needs=("attendees",),  # who served: the members it counts for
)
