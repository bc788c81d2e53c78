"""Each raw kind's columns and the headers seen for them in the wild (DATA-CONTRACT.md), matched by key."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from analysis.names import header_key


PERSONAL = ("device_id", "ip")  # columns that never leave the reader: not in tables, not in quarantine


@dataclass(frozen=True)
class Kind:
    name: str
    aliases: dict[str, tuple[str, ...]]  # canonical column -> headers as operators write them
    required: tuple[str, ...]

    def __hash__(self) -> int:  # kinds are module constants, one per name
        return hash(self.name)

    def column_for(self, header: object) -> str | None:
        return _column_for(self, header_key(str(header)) if header is not None else "")


@lru_cache(maxsize=None)
def _alias_keys(kind: Kind) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    exact = {}
    for col, names in kind.aliases.items():
        for n in names:
            exact.setdefault(header_key(n), col)
    return exact, tuple((k + " ", col) for k, col in exact.items())


@lru_cache(maxsize=1 << 16)
def _column_for(kind: Kind, key: str) -> str | None:
    exact, prefixes = _alias_keys(kind)
    if key in exact:
        return exact[key]
    # "Tốc độ tải xuống (kbps)": the unit in brackets is read later, the column is the speed.
    for prefix, col in prefixes:
        if key.startswith(prefix):
            return col
    return None


_COMMON = {
    "period": ("Kỳ báo cáo", "Tháng", "Thời gian", "Kỳ", "Period", "Month", "Reporting period"),
    "operator": ("Doanh nghiệp", "Nhà mạng", "ISP", "Operator", "Đơn vị báo cáo"),
    "province": ("Tỉnh/TP", "Tỉnh/Thành phố", "Tỉnh", "Province"),
    "district": ("Huyện/TP", "Quận/Huyện", "Huyện", "Huyện/Thành phố", "District"),
    "commune": ("Xã/Phường", "Đơn vị hành chính", "Xã", "Xã/Phường/Thị trấn", "Commune", "Ward"),
    "submitted": ("Ngày gửi", "Ngày báo cáo", "Submitted", "Date sent"),
}

KINDS = (
    Kind("subscribers", {**_COMMON,
                         "service": ("Dịch vụ", "Loại thuê bao", "Service"),
                         "segment": ("Đối tượng", "Loại khách hàng", "Segment", "Customer type"),
                         "subscribers": ("Số thuê bao", "SL thuê bao", "Subscribers", "Số lượng thuê bao")},
         ("period", "operator", "commune", "service", "subscribers")),
    Kind("hamlet_coverage", {**_COMMON,
                             "hamlet": ("Xóm", "Thôn/Xóm", "Tổ dân phố", "Thôn", "Hamlet"),
                             "ftth": ("Có cáp quang", "FTTH", "Cáp quang"),
                             "mbb_4g": ("Phủ sóng 4G", "4G", "4G coverage"),
                             "mbb_5g": ("Phủ sóng 5G", "5G", "5G coverage")},
         ("period", "operator", "commune", "hamlet", "ftth")),
    Kind("bts_sites", {**_COMMON, "site_id": ("Mã trạm", "Site ID", "Site"), "lat": ("Vĩ độ", "Latitude", "Lat"),
                       "lon": ("Kinh độ", "Longitude", "Lon"), "technology": ("Công nghệ", "Technology"),
                       "as_of": ("Ngày cập nhật", "As of", "Ngày")},
         ("operator", "site_id", "lat", "lon")),
    Kind("speed_tests", {**_COMMON, "test_id": ("Mã phép đo", "Test ID"), "ts": ("Thời gian đo", "Timestamp"),
                         "network": ("Loại mạng", "Mạng", "Network"),
                         "download": ("Tốc độ tải xuống", "Download"), "upload": ("Tốc độ tải lên", "Upload"),
                         "latency_ms": ("Độ trễ", "Độ trễ (ms)", "Latency", "Ping"),
                         "device_id": ("Mã thiết bị", "Device ID"), "ip": ("Địa chỉ IP", "IP")},
         ("ts", "download", "latency_ms")),
    Kind("population", {"province": _COMMON["province"], "district": _COMMON["district"], "commune": _COMMON["commune"] + ("Địa bàn",),
                        "year": ("Năm", "Year"), "population": ("Dân số (người)", "Dân số", "Population"),
                        "adults": ("Dân số từ 15 tuổi trở lên", "Adults", "Dân số 15+"),
                        "households": ("Số hộ", "Households", "Số hộ gia đình")},
         ("commune", "year", "population", "households")),
    Kind("hamlet_registry", {"hamlet_code": ("Mã xóm", "Mã thôn", "Hamlet code"),
                             "hamlet": ("Tên xóm, tổ dân phố", "Tên xóm", "Hamlet"),
                             "commune": _COMMON["commune"], "district": _COMMON["district"],
                             "province": _COMMON["province"]},
         ("hamlet_code", "hamlet", "commune")),
    Kind("smartphone_survey", {"area": ("Địa bàn", "Area"), "year": ("Năm", "Year"),
                               "adults_surveyed": ("Số người trưởng thành được khảo sát (gia quyền)", "Adults surveyed"),
                               "adults_with_smartphone": ("Số người có điện thoại thông minh (gia quyền)",
                                                          "Adults with smartphone")},
         ("area", "year", "adults_surveyed", "adults_with_smartphone")),
    Kind("state_apps", {"app": ("Tên ứng dụng", "Application"), "agency": ("Cơ quan chủ quản", "Agency"),
                        "hosting": ("Hình thức lưu trữ", "Hosting")}, ("app", "hosting")),
    Kind("milestones", {"milestone": ("Nhiệm vụ", "Milestone"), "status": ("Tình trạng", "Status"),
                        "as_of": ("Ngày cập nhật", "As of"), "note": ("Ghi chú", "Note")},
         ("milestone", "status")),
)


def _mapping(kind: Kind, cells: list[object]) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for i, c in enumerate(cells):
        col = kind.column_for(c)
        if col and col not in mapping.values():
            mapping[i] = col
    return mapping


def match_header(cells: list[object]) -> tuple[Kind, dict[int, str]] | None:
    """The kind whose required columns a header row holds (most columns matched wins), and its column map."""
    best = None
    for kind in KINDS:
        mapping = _mapping(kind, cells)
        if set(kind.required) <= set(mapping.values()):
            if best is None or len(mapping) > len(best[1]):
                best = (kind, mapping)
    return best


def near_miss(rows: list[list[object]]) -> tuple[Kind, list[str]] | None:
    """For a sheet no kind matched: the kind a row comes closest to (at least two required columns, all but
    at most two), and the required columns it lacks, so the message can say which column is missing."""
    best = None
    for row in rows:
        for kind in KINDS:
            found = set(_mapping(kind, row).values()) & set(kind.required)
            missing = [c for c in kind.required if c not in found]
            if len(found) >= 2 and 0 < len(missing) <= 2 and (best is None or len(missing) < len(best[1])):
                best = (kind, missing)
    return best
