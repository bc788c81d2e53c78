"""Ground truth for the yearly registers: the smartphone survey, shared state applications, plan milestones."""
from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from analysis.sample.settings import SampleConfig

HOSTING_CLOUD = ("Đám mây nhà nước", "Đám mây tỉnh", "Doanh nghiệp trong nước")
HOSTING_OTHER = ("Máy chủ riêng", "Nước ngoài")
APPS = (
    "Hệ thống quản lý văn bản và điều hành", "Cổng dịch vụ công tỉnh", "Hệ thống thông tin giải quyết thủ tục hành chính",
    "Hệ thống thư điện tử công vụ", "Cổng thông tin điện tử tỉnh", "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)",
    "Hệ thống họp trực tuyến", "Phần mềm quản lý cán bộ, công chức", "Hệ thống báo cáo kinh tế - xã hội",
    "Cơ sở dữ liệu đất đai", "Hệ thống quản lý hồ sơ sức khỏe điện tử", "Cơ sở dữ liệu ngành giáo dục",
    "Hệ thống giám sát môi trường", "Hệ thống quản lý giao thông thông minh", "Ứng dụng C-Thainguyen",
    "Hệ thống định danh Thainguyen ID", "Hệ thống chữ ký số", "Kho dữ liệu dùng chung", "Hệ thống phản ánh hiện trường",
    "Phần mềm một cửa điện tử cấp xã", "Cơ sở dữ liệu dân cư tỉnh", "Hệ thống quản lý đầu tư công",
    "Hệ thống quản lý tài sản công", "Phần mềm kế toán ngân sách", "Hệ thống quản lý thi đua khen thưởng",
    "Hệ thống thông tin nông nghiệp", "Cơ sở dữ liệu doanh nghiệp", "Hệ thống quản lý xây dựng",
    "Hệ thống camera an ninh", "Cơ sở dữ liệu văn hóa, du lịch", "Hệ thống quản lý lao động, việc làm",
    "Hệ thống quản lý bảo trợ xã hội", "Cơ sở dữ liệu tài nguyên nước", "Hệ thống thông tin quy hoạch",
    "Hệ thống tổng đài 1022", "Hệ thống đánh giá chỉ số chuyển đổi số", "Phần mềm quản lý khoa học công nghệ",
    "Hệ thống quản lý bệnh viện tuyến tỉnh", "Cơ sở dữ liệu hộ tịch", "Hệ thống quản lý thuế địa phương",
    "Hệ thống cảnh báo thiên tai", "Ứng dụng du lịch thông minh", "Hệ thống quản lý trường học", "Cổng dữ liệu mở",
)
AGENCIES = ("Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ", "Sở Y tế", "Sở Giáo dục và Đào tạo",
            "Sở Tài nguyên và Môi trường", "Sở Tài chính", "Sở Nội vụ", "Công an tỉnh", "Sở Giao thông vận tải")
MILESTONES = (
    ("Thành lập nhóm chuyên gia hỗ trợ phát triển AI, blockchain, IoT", "2024-06"),
    ("Hình thành hệ sinh thái hạ tầng AI, blockchain, IoT phục vụ chính quyền số, kinh tế số, xã hội số", None),
    ("Tích hợp hạ tầng điện toán đám mây và IoT trong các ngành tài nguyên môi trường, giáo dục, y tế, "
     "nông nghiệp công nghệ cao, giao thông, xây dựng", "2026-06"),
    ("Sử dụng các nền tảng số quốc gia; duy trì, phát triển nền tảng C-Thainguyen, Thainguyen ID", "2023-12"),
)


def survey(cfg: SampleConfig, comm: pl.DataFrame, pop: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Smartphone survey by district and year, weighted to the adult population; the province row is their sum."""
    adults = pop.group_by("district_code", "year").agg(pl.col("adults").sum())
    rows = []
    for year, share in cfg.survey["adults_with_smartphone"].items():
        a = adults.filter(pl.col("year") == int(year)).sort("district_code")
        cls = np.array([cfg.district_class_of(d) for d in a["district_code"]])
        f = np.select([cls == "urban", cls == "mountain"], [1.05, 0.88], 1.0) * rng.normal(1, 0.01, a.height)
        w = a["adults"].to_numpy().astype(float)
        f = f * share * w.sum() / (f * w).sum()
        rows.append(pl.DataFrame({"area_code": a["district_code"], "year": int(year),
                                  "adults_surveyed": np.round(w, 1), "adults_with_smartphone": np.round(w * f, 1)}))
    d = pl.concat(rows)
    province = d.group_by("year").agg(pl.col("adults_surveyed", "adults_with_smartphone").sum()).with_columns(
        area_code=pl.lit(cfg.province_code))
    return pl.concat([province.select(d.columns), d]).sort("year", "area_code")


def state_apps(cfg: SampleConfig, rng: np.random.Generator) -> pl.DataFrame:
    """The register of shared state applications at the end of each year (and at the last month)."""
    sa = cfg.state_apps
    years = sorted(int(y) for y in sa["on_cloud"])
    n_first, n_last = sa["count"][2021], sa["count"][2026]
    added = np.concatenate([np.full(n_first, years[0]), np.sort(rng.integers(years[0] + 1, years[-1] + 1, n_last - n_first))])
    rows = []
    migrated_by: dict[int, int] = {}
    order = rng.permutation(n_last)
    for y in years:
        present = np.nonzero(added <= y)[0]
        target = int(round(sa["on_cloud"][y] * len(present)))
        on = [i for i in order if i in set(present)][:target]
        for i in on:
            migrated_by.setdefault(int(i), y)
        on_set = {i for i in present if i in migrated_by and migrated_by[i] <= y}
        as_of = date(y, 12, 31) if y < 2026 else date(2026, 9, 30)
        for i in present:
            cloud = i in on_set
            rows.append({"as_of": as_of, "app": APPS[i], "agency": AGENCIES[i % len(AGENCIES)],
                         "hosting": HOSTING_CLOUD[i % 3] if cloud else HOSTING_OTHER[int(i % 7 == 0)],
                         "on_cloud": cloud})
    return pl.DataFrame(rows)


def milestones() -> pl.DataFrame:
    rows = []
    for as_of in (date(2024, 12, 31), date(2025, 12, 31), date(2026, 9, 30)):
        for name, done in MILESTONES:
            if done is None:
                status = "Đang thực hiện" if as_of.year >= 2025 else "Chưa triển khai"
            else:
                y, m = map(int, done.split("-"))
                status = "Đã hoàn thành" if (as_of.year, as_of.month) >= (y, m) else "Đang thực hiện"
            rows.append({"as_of": as_of, "milestone": name, "status": status, "note": ""})
    return pl.DataFrame(rows)
