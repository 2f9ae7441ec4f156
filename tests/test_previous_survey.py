"""Year over year (``sinkmap survey --previous``): each indicator row's value in the earlier survey and the
change, checked by hand on two surveys of the demo a year apart; the reader's refusals; the mismatch warnings."""

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sinkmap.cli import cli
from sinkmap.config import load_config
from sinkmap.errors import InputError, MissingInputError, SchemaError
from sinkmap.indicators.comparison import attach_previous, boundary_changes, definition_changes
from sinkmap.readers.previous import read_previous_survey
from sinkmap.writers.report.tables import comparison_rows
from tests.test_cli import assert_one_line_error, demo_config, run
from tests.test_report import Tables

SCALED = 2.0  # the volume per ha of one stand, times this, in the later survey
EDITED = "441521"  # 海丰县: its land area in the earlier indicators.csv, + 1 %


def read_indicators(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"adcode": str}).set_index(["adcode", "indicator"])


@pytest.fixture(scope="module")
def two_surveys(demo_survey, tmp_path_factory):
    """The demo (2025; its indicators.csv with 海丰县's land area + 1 %) and a survey of the same inputs a year
    later with one stand's volume per ha doubled, --previous the first, --stamp; its stderr."""
    root = tmp_path_factory.mktemp("yoy")
    before = root / "2025"
    before.mkdir()
    shutil.copy(demo_survey / "provenance.json", before)
    table = pd.read_csv(demo_survey / "indicators.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    row = (table["adcode"] == EDITED) & (table["indicator"] == "land_area")
    table.loc[row, "value"] = repr(float(table.loc[row, "value"].iloc[0]) * 1.01)
    table.to_csv(before / "indicators.csv", index=False, encoding="utf-8-sig")
    stands = gpd.read_file(demo_survey / "inputs" / "stands.gpkg", layer="stands")
    counted = gpd.read_file(demo_survey / "survey.gpkg", layer="stands", ignore_geometry=True)
    stand = counted.loc[counted["stock_m3"].idxmax()]  # in the growing stock: area_ha × volume_per_ha
    stands.loc[stands["stand_id"] == stand["stand_id"], "volume_per_ha"] *= SCALED
    stands.to_file(root / "stands.gpkg", layer="stands", driver="GPKG")
    config = demo_config(demo_survey, root, survey_year=2026, stands={"path": str(root / "stands.gpkg"),
                                                                      "layer": "stands"},
                         mariculture_yields=None)  # the demo's harvests are of 2024 and 2025: refused for 2026
    after = root / "2026"
    result = run("survey", "--config", str(config), "--previous", str(before), "-o", str(after), "--stamp", "-q")
    assert result.returncode == 0, result.stderr
    return before, after, stand, result.stderr


def test_changes_by_hand(demo_survey, two_surveys):
    before, after, stand, _ = two_surveys
    then, now = read_indicators(demo_survey / "indicators.csv"), read_indicators(after / "indicators.csv")
    delta_m3 = stand["area_ha"] * stand["volume_per_ha"] * (SCALED - 1)  # ha × m³/ha
    for unit in (stand["county"], "441500"):
        assert now.at[(unit, "stock_volume_m3"), "previous"] == then.at[(unit, "stock_volume_m3"), "value"]
        assert now.at[(unit, "stock_volume_m3"), "change"] == pytest.approx(delta_m3, rel=1e-6)
        assert now.at[(unit, "stock_volume"), "change"] == pytest.approx(delta_m3 / 1e4, rel=1e-6)  # 万m³
    assert now.loc[("441502", "stock_volume"), "change"] == 0.0  # another county: no stand changed
    for indicator in ("forest_area", "mangrove_area", "redline_area_land", "shelterbelt_area", "biomass_carbon"):
        rows = now.xs(indicator, level="indicator")
        changed = indicator == "biomass_carbon"  # the doubled stand's carbon
        assert ((rows["change"] != 0) == (rows.index.isin([stand["county"], "441500"]) & changed)).all(), indicator
    land = now.xs("land_area", level="indicator")
    assert land.at[EDITED, "change"] == pytest.approx(land.at[EDITED, "value"] * (1 - 1.01), rel=1e-8)
    assert (land.drop(EDITED)["change"] == 0.0).all()


def test_boundary_mismatch_warns_naming_both_folders(demo_survey, two_surveys):
    before, after, _, stderr = two_surveys
    area = read_indicators(demo_survey / "indicators.csv").at[(EDITED, "land_area"), "value"]  # km², unchanged now
    line = (f"land_area of 海丰县 {EDITED} is {area * 1.01:,.2f} km² then and {area:,.2f} km² now (-1.0%, more than "
            "0.1%): its boundary differs, so its changes mix boundary and ground")
    assert [w for w in stderr.splitlines() if "compared with" in w] == [
        f"sinkmap: warning: {after} compared with {before}: {line}"]  # same version, tables, area and CRS
    record = json.loads((after / "provenance.json").read_text(encoding="utf-8"))
    assert record["previous_survey"]["mismatches"] == [line] and record["previous_survey"]["survey_year"] == 2025


def test_stamped_provenance_of_the_later_survey(two_surveys):
    before, after, _, _ = two_surveys
    record = json.loads((after / "provenance.json").read_text(encoding="utf-8"))
    assert record["command"]["line"] == "sinkmap survey --config survey.yaml --previous 2025 --stamp"
    assert record["previous_survey"]["indicators"]["path"] == "2025/indicators.csv"
    steps = [t["step"] for t in record["run"]["timings"]]
    assert steps[0] == "checking inputs against the layer catalogue" and steps[-1].startswith("writing report")
    assert "provenance: input checksums; comparison with 2025" in steps
    assert all(t["seconds"] >= 0 for t in record["run"]["timings"]) and record["run"]["date"][:2] == "20"


def test_report_compares_the_total(demo_survey, two_surveys):
    _, after, stand, _ = two_surveys
    html = (after / "report.html").read_text(encoding="utf-8")
    assert "与上期对比 Compared with 2025" in html
    table = next(t for t in Tables(html).tables if t[0][1:] == ["2025 年 Then", "2026 年 Now", "变化 Change"])
    rows = {r[0]: r[1:] for r in table[1:]}
    assert rows["土地面积Land area"][2] == "0.0 km²"
    then = read_indicators(demo_survey / "indicators.csv").at[("441500", "stock_volume_m3"), "value"]
    change = stand["area_ha"] * stand["volume_per_ha"] * (SCALED - 1)
    assert rows["森林蓄积量（m³）Growing-stock volume (m³)"] == [f"{then:,.0f} m³", f"{then + change:,.0f} m³",
                                                             f"+{change:,.0f} m³"]
    demo = (demo_survey / "report.html").read_text(encoding="utf-8")
    assert "与上期对比" not in demo  # without --previous: no comparison
    assert read_indicators(demo_survey / "indicators.csv")[["previous", "change"]].isna().all().all()


def test_refusals_are_one_line_and_write_nothing(demo_survey, tmp_path):
    config = str(demo_config(demo_survey, tmp_path))
    out = tmp_path / "out"
    result = run("survey", "--config", config, "--previous", str(tmp_path / "none"), "-o", str(out))
    assert_one_line_error(result, f"{tmp_path / 'none'}: the previous survey's output folder does not exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("survey", "--config", config, "--previous", str(empty), "-o", str(out))
    assert_one_line_error(result, f"{empty / 'indicators.csv'}: not found: the previous survey's indicator table is "
                                  "missing. Give the output folder (-o) of an earlier year's `sinkmap survey`")
    result = run("survey", "--config", config, "--previous", str(demo_survey), "-o", str(out))
    assert_one_line_error(result, f"{demo_survey / 'provenance.json'}: its survey year 2025 is not earlier than "
                                  "this survey's 2025")
    assert not out.exists()


def test_previous_survey_in_the_configuration(demo_survey, tmp_path):
    config = demo_config(demo_survey, tmp_path, previous_survey="../2024")
    assert load_config(config).previous_survey == tmp_path / "../2024"
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"))
    assert_one_line_error(result, f"{tmp_path / '../2024'}: the previous survey's output folder does not exist")
    with pytest.raises(InputError, match="previous_survey must be a folder path, not 2024"):
        load_config(demo_config(demo_survey, tmp_path, previous_survey=2024))


def copy_previous(demo_survey: Path, folder: Path) -> Path:
    folder.mkdir()
    for name in ("indicators.csv", "provenance.json"):
        shutil.copy(demo_survey / name, folder)
    return folder


@pytest.mark.parametrize("damage, error, message", [
    (lambda f: (f / "provenance.json").write_text("{", encoding="utf-8"), SchemaError, "is not a JSON provenance"),
    (lambda f: (f / "provenance.json").write_text('{"survey_year": 2024}', encoding="utf-8"), SchemaError,
     "lacks sinkmap_version, survey_area, parameter_tables"),
    (lambda f: (f / "provenance.json").unlink(), MissingInputError, "provenance record is missing"),
    (lambda f: (f / "indicators.csv").write_text("adcode,indicator\n1,x\n", encoding="utf-8"), SchemaError,
     "lacks the columns ['county', 'value', 'unit']"),
    (lambda f: (f / "indicators.csv").write_text("adcode,county,indicator,value,unit\n1,x,y,12 ha,ha\n",
                                                 encoding="utf-8"), SchemaError, "value '12 ha' (row 2) is not a number"),
])
def test_reader_refuses_malformed_files(demo_survey, tmp_path, damage, error, message):
    folder = copy_previous(demo_survey, tmp_path / "2025")
    damage(folder)
    with pytest.raises(error) as caught:
        read_previous_survey(folder, 2026)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(folder) in str(caught.value)  # names the file


def test_reader_reads_values_and_year(demo_survey, tmp_path):
    folder = copy_previous(demo_survey, tmp_path / "2025")
    previous = read_previous_survey(folder, 2026)
    assert previous.survey_year == 2025 and previous.provenance["survey_area"]["code"] == "441500"
    values = read_indicators(demo_survey / "indicators.csv")["value"]
    got = previous.indicators.set_index(["adcode", "indicator"])["value"]
    assert got.index.equals(values.index) and np.array_equal(got.to_numpy(), values.to_numpy(), equal_nan=True)


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["county", "adcode", "indicator", "value", "unit"])


def test_attach_previous_by_hand():
    now = frame([("A", "1", "stock", 12.5, "万m³"), ("A", "1", "area", 30.0, "ha"), ("B", "2", "area", 7.0, "ha"),
                 ("A", "1", "sink", np.nan, "t CO₂e/yr")])
    then = frame([("A", "1", "stock", 100_000.0, "m³"), ("A", "1", "area", 25.5, "ha"),
                  ("A", "1", "sink", 3.0, "t CO₂e/yr")])
    table, units = attach_previous(now, then, digits=3)
    assert units == {"stock": ("m³", "万m³")}  # another unit: neither previous nor change
    assert np.isnan(table.at[0, "previous"]) and np.isnan(table.at[0, "change"])
    assert (table.at[1, "previous"], table.at[1, "change"]) == (25.5, 30.0 - 25.5)
    assert np.isnan(table.at[2, "previous"]) and np.isnan(table.at[2, "change"])  # B: not in the earlier survey
    assert table.at[3, "previous"] == 3.0 and np.isnan(table.at[3, "change"])  # no value now (not covered)
    rounded, _ = attach_previous(frame([("A", "1", "area", 25.5004, "ha")]), then, digits=3)
    assert rounded.at[0, "change"] == 0.0  # 25.5004 written with 3 significant digits is 25.5


def test_boundary_changes_above_a_tenth_of_a_percent():
    then = frame([("A", "1", "land_area", 1000.0, "km²"), ("B", "2", "land_area", 1000.0, "km²")])
    now = frame([("A", "1", "land_area", 1001.0, "km²"), ("B", "2", "land_area", 998.9, "km²")])
    assert boundary_changes(now, then) == ["land_area of B 2 is 1,000.00 km² then and 998.90 km² now (-0.1%, more "
                                           "than 0.1%): its boundary differs, so its changes mix boundary and ground"]


def test_definition_changes_name_what_differs():
    record = {"sinkmap_version": "0.1.0", "survey_area": {"code": "441500", "name_zh": "汕尾市"},
              "parameter_tables": {"biomass_factors": {"shipped": {"sha256": "a"}},
                                   "blue_carbon": {"shipped": {"sha256": "b"}}},
              "crs": {"area": {"definition": "+proj=aea", "name": "x"}}}
    assert definition_changes(record, record) == []
    assert definition_changes(record, {**record, "crs": {"area": {"definition": "+proj=aea", "name": "y"}}}) == []
    newer = {**record, "parameter_tables": {**record["parameter_tables"], "mariculture": {"shipped": {"sha256": "m"}}}}
    assert definition_changes(record, newer) == []  # a table added since converts nothing the earlier survey reported
    other = {"sinkmap_version": "0.2.0", "survey_area": {"code": "441523", "name_zh": "陆河县"},
             "parameter_tables": {"biomass_factors": {"shipped": {"sha256": "a"}, "own": {"sha256": "c"}},
                                  "blue_carbon": {"shipped": {"sha256": "b"}}},
             "crs": {"area": {"definition": "+proj=aea +lon_0=114"}}}
    assert definition_changes(record, other) == [
        "survey area 441500 汕尾市 then and 441523 陆河县 now: the totals are of different areas",
        "written by sinkmap 0.1.0 then and 0.2.0 now: methods or definitions may differ",
        "parameter tables differ (sha256): biomass_factors: the factors changed, so the changes of what they convert "
        "mix definitions and ground",
        "CRS definitions differ: areas were computed in another equal-area CRS"]


def test_report_comparison_rows_of_the_total():
    table = frame([("汕尾市", "441500", "stock", 12.5, "万m³"), ("海丰县", "441521", "stock", 2.0, "万m³"),
                   ("汕尾市", "441500", "area", 30.0, "ha")]).assign(previous=[10.3, 1.0, np.nan],
                                                                     change=[2.2, 1.0, np.nan])
    rows = comparison_rows(table, {"area": ("面积", "Area"), "stock": ("蓄积", "Stock")})
    assert [(r.label_zh, r.previous, r.value, r.change) for r in rows] == [("蓄积", "10.3 万m³", "12.5 万m³",
                                                                             "+2.2 万m³")]
    assert comparison_rows(table.assign(previous=np.nan), {"area": ("面积", "Area"), "stock": ("蓄积", "Stock")}) == []


def test_cli_help_names_previous_and_stamp():
    text = CliRunner().invoke(cli, ["survey", "--help"]).output
    assert "--previous" in text and "--stamp" in text and "previous_survey" in text
