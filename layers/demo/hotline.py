"""Hotline work orders as a 12345/12319 system exports them, drawn from a demo city (DOMAIN.md "Supervision"): for
the import's fixtures, tests and benchmark. No Django imports."""
from __future__ import annotations

import csv
import datetime
import io
import random

from .addresses import labelled_addresses
from .city import City

HEADER = ("工单编号", "受理时间", "来电内容", "事发地址", "诉求类别", "来电人", "联系电话", "来源")
# What callers say, with the category the hotline operator chose (DOMAIN.md "Routing to departments").
WORDS = [
    ("楼道垃圾多日无人清运，气味很大", "城市管理/环境卫生"),
    ("小区门卫晚上经常不在岗，外来人员随意进出", "物业管理/安全秩序"),
    ("单元门门禁损坏一个月没人修", "物业管理/共用设施维修"),
    ("消防通道被私家车长期占用", "消防安全/消防通道"),
    ("屋面漏水，楼道墙皮脱落", "物业管理/共用设施维修"),
    ("暖气不热，室温只有十四度", "供热/供暖"),
    ("电梯经常停运，老人上下楼困难", "特种设备/电梯"),
    ("物业乱收停车费", "价格/停车收费"),
    ("小区绿化带树木多年未修剪，遮挡采光", "物业管理/绿化养护"),
    ("物业服务态度差，报修无人理会", "物业管理/物业服务"),
]
# Addresses no estate fits well: they land in the "to confirm" list.
VAGUE = ("附近小区门口", "菜市场对面那个院", "老百货大楼后身", "火车站旁边居民楼")


def hotline_orders(city: City, n: int, *, seed: int = 16, vague_every: int = 8,
                   start: datetime.datetime = datetime.datetime(2026, 11, 2, 8, 0)) -> list[tuple]:
    """n work orders (rows in HEADER's order) received from `start` on, a few minutes apart; every
    `vague_every`-th has an address no estate fits. The same arguments always give the same rows."""
    rng = random.Random(seed)
    addresses = labelled_addresses(city, n, seed=seed)
    rows = []
    for k in range(n):
        source = "12345" if k % 3 else "12319"
        words, category = WORDS[k % len(WORDS)]
        address = rng.choice(VAGUE) if vague_every and k % vague_every == vague_every - 1 else addresses[k].address
        received = start + datetime.timedelta(minutes=7 * k + rng.randint(0, 5))
        rows.append((f"{source}-{received:%Y%m%d}-{k + 1:05d}", received.strftime("%Y-%m-%d %H:%M:%S"),
                     words, address, category, rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(("先生", "女士")),
                     f"13{rng.randint(100000000, 999999999)}", source))
    return rows


def orders_csv(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def orders_xlsx(rows: list[tuple], title: str = "12345热线工单导出") -> bytes:
    """An XLSX like the hotline system's export: a title line, the header, one line per order (times as dates)."""
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单")
    sheet.append([title])
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append([row[0], datetime.datetime.strptime(row[1], "%Y-%m-%d %H:%M:%S"), *row[2:]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
