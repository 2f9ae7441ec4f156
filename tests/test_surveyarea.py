"""The survey area (aoi:): a county bureau surveys its own county and gets that county's report."""

import warnings

import pandas as pd
import pytest

from sinkmap.config import load_config
from sinkmap.errors import InputError, SinkmapWarning
from sinkmap.survey import compute_survey, write_outputs
from sinkmap.surveyarea import survey_area
from tests.test_cli import demo_config

LUHE = "441523"  # 陆河县


def test_survey_area_from_codes_names_or_the_city():
    assert survey_area().code == survey_area("city").code == survey_area("汕尾市").code == "441500"
    one = survey_area("陆河县")
    assert (one.codes, one.code, one.name_zh, one.name_en) == ((LUHE,), LUHE, "陆河县", "Luhe County")
    assert one.units()["adcode"].tolist() == [LUHE]  # one county is its own total
    two = survey_area([441581, "海丰县"])
    assert (two.code, two.name_zh) == ("441521+441581", "海丰县、陆丰市")
    assert two.units()["adcode"].tolist() == ["441521+441581", "441521", "441581"]
    with pytest.raises(ValueError, match="惠东县"):
        survey_area(["惠东县"])


def test_aoi_errors_are_one_line(demo_survey, tmp_path):
    with pytest.raises(InputError, match=r"'aoi' names no county of 汕尾市: 惠东县\. Use city, or county codes or "
                                         r"names: 441502 城区"):
        load_config(demo_config(demo_survey, tmp_path, aoi="惠东县"))
    with pytest.raises(InputError, match=r"'aoi' as a polygon file is not supported yet"):
        load_config(demo_config(demo_survey, tmp_path, aoi={"path": "area.gpkg"}))


def test_a_county_survey_reports_that_county_alone(demo_survey, tmp_path):
    """The demo's city-wide inputs surveyed with aoi: 陆河县: the features elsewhere are left out (with a
    warning), every table holds 陆河县 only, and its figures are those of the city-wide run."""
    config = load_config(demo_config(demo_survey, tmp_path, aoi="陆河县", stands_previous=None,
                                     landcover_previous=None, redlines_previous=None, scenario=None))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute_survey(config)
    assert any(issubclass(w.category, SinkmapWarning) and "outside the survey area (陆河县) and are left out"
               in str(w.message) for w in caught)
    ours = result.indicators
    assert set(ours["adcode"]) == {LUHE} and (ours["note"] == "").all()
    assert result.units["adcode"].tolist() == [LUHE]
    assert set(result.trajectory["adcode"]) == {LUHE}
    full = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")

    def both(indicator):
        mine = ours.loc[ours["indicator"] == indicator, "value"].iloc[0]
        return mine, full.loc[(full["indicator"] == indicator) & (full["adcode"] == LUHE), "value"].iloc[0]

    for indicator in ("land_area", "forest_cover", "stock_volume", "biomass_carbon", "mangrove_area"):
        mine, city_run = both(indicator)
        assert mine == pytest.approx(city_run, rel=1e-9), indicator
    # one exception: the city-wide run counts the 2.64 ha where 陆河's HX-441523-L016 overlaps 海丰's
    # HX-441521-L012 once, with the first id (海丰's); surveyed alone, 陆河 keeps its redline whole
    mine, city_run = both("redline_area_land")
    assert mine - city_run == pytest.approx(2.64, abs=0.005)
    # the county's own report and map, titled for it
    write_outputs(result, tmp_path / "out")
    assert "<title>陆河县森林与蓝碳碳汇本底调查 Luhe County forest" in (tmp_path / "out" / "report.html").read_text()
    assert "陆河县碳汇与生态保护红线 Luhe County carbon sinks and redlines 2025" in (
        tmp_path / "out" / "map.html").read_text()
    written = pd.read_csv(tmp_path / "out" / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    assert set(written["adcode"]) == {LUHE}
