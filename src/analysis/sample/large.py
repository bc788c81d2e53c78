"""A subscriber CSV of any size, for what only size shows (memory that must not grow with a file): FPT's
October 2024 export with Phường Quan Triều's household fibre sent in parts of 2 and Xã Bản Ngoại's business fibre
in parts of 3, alternating, so cleaning must sum every line of the file into two figures."""
from __future__ import annotations

from pathlib import Path

NAME = "fpt-thue-bao_2024-10.csv"
HEADER = "\ufeffPeriod;ISP;District;Commune;Service;Segment;Subscribers\n".encode()
PAIR = ("2024-10;FPT;Thanh Pho Thai Nguyen;Phuong Quan Trieu;FTTH;Household;2\n"
        "2024-10;FPT;Huyen Dai Tu;Xa Ban Ngoai;FTTH;Business;3\n").encode()
# 05431 is Phường Quan Triều of TP Thái Nguyên, 05800 Xã Bản Ngoại of Đại Từ (the statistics office's codes).
AREAS = (("05431", "household", 2), ("05800", "business", 3))


def write(folder: Path, megabytes: int) -> dict:
    """`NAME` in `folder`, a little over `megabytes` MB; what cleaning must give: the data lines and, per commune
    and segment, the subscribers summed."""
    block = PAIR * ((1 << 20) // len(PAIR))
    blocks = megabytes + 1
    path = folder / NAME
    with open(path, "wb") as f:
        f.write(HEADER)
        for _ in range(blocks):
            f.write(block)
    pairs = blocks * (len(block) // len(PAIR))
    return {"path": path, "lines": 2 * pairs, "sums": sorted((code, segment, n * pairs) for code, segment, n in AREAS)}
