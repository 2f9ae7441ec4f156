"""A survey's own parameter tables over the shipped ones, the tier shares and the factor sensitivity."""

import math

import pandas as pd
import pytest

from sinkmap.config import load_config
from sinkmap.errors import InputError, SchemaError
from sinkmap.indicators.biomass import BiomassFactors, carbon_by_group, combine
from sinkmap.indicators.bluecarbon import BlueCarbonFactors
from sinkmap.indicators.forest import ForestDefinition
from sinkmap.indicators.parameters import quality_text, tier_shares, whole_percents
from sinkmap.indicators.projection import GrowthRates
from sinkmap.pipelines.parameters import export_tables
from sinkmap.readers.parameters import PARAMETER_TABLES, user_paths
from tests.test_biomass import HAND, U_FIR, U_PINE, factor_table
from tests.test_cli import assert_one_line_error, demo_config, run

HEADER = "species_group,parameter,value,low,high,unit,tier,source\n"
EUCALYPTUS_BEF = "eucalyptus,BEF,1.30,1.10,1.50,1,provincial inventory,粤 LUCF inventory 2020 table 5\n"


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_table_replaces_exactly_its_rows(tmp_path):
    shipped = BiomassFactors.from_layers()
    own = BiomassFactors.from_layers(write(tmp_path / "省清单.csv", HEADER + EUCALYPTUS_BEF
                                           + "acacia,D,0.70,0.60,0.80,t d.m./m³,provincial inventory,table 2\n"))
    changed = (own.values != shipped.values).stack()
    assert sorted(changed[changed].index) == [("acacia", "D"), ("eucalyptus", "BEF")]
    assert own.values.loc["eucalyptus", "BEF"] == 1.30 and own.low.loc["eucalyptus", "BEF"] == 1.10
    assert own.cell_tiers.loc["eucalyptus", "BEF"] == "provincial inventory"
    assert own.origins.loc["eucalyptus", "BEF"] == "省清单.csv" and own.origins.loc["eucalyptus", "D"] == "shipped"
    assert own.provenance() == ("省清单.csv (acacia D; eucalyptus BEF) and layers/parameters/biomass_factors.csv "
                                "(the other values)")
    assert shipped.provenance() == "layers/parameters/biomass_factors.csv"


def test_xlsx_user_tables_and_new_growth_rows(tmp_path):
    table = pd.DataFrame([EUCALYPTUS_BEF.strip().split(",")], columns=HEADER.strip().split(","))
    table.to_excel(tmp_path / "factors.xlsx", index=False)
    assert BiomassFactors.from_layers(tmp_path / "factors.xlsx").values.loc["eucalyptus", "BEF"] == 1.30
    growth = write(tmp_path / "growth.csv", "process,species_group,age_group,rate,unit,verified,source\n"
                                            "growth,eucalyptus,young,0.25,1/yr,yes,county plots 2024\n")
    rates = GrowthRates.from_layers(growth)
    both = rates.rate("growth", pd.Series(["eucalyptus", "eucalyptus"]), pd.Series(["young", "mature"]))
    assert both.tolist() == [0.25, 0.0961]  # the new row for young eucalyptus; the shipped default elsewhere
    assert "growth.csv: county plots 2024" in rates.sources()
    closure = write(tmp_path / "def.csv", "parameter,value,unit,verified,source\nmin_canopy_closure,0.3,1,yes,my rule\n")
    definition = ForestDefinition.from_layers(closure)
    assert definition.min_canopy_closure == 0.3 and definition.min_belt_rows == 2
    assert definition.sources["min_canopy_closure"] == "def.csv: my rule"


@pytest.mark.parametrize("row, column, message", [
    ("eucalyptus,R,abc,0.1,0.3,1,t,s", "value", "row 3: 'abc' is not a number (eucalyptus R)"),
    ("teak,R,0.2,0.1,0.3,1,t,s", "species_group", "row 3: 'teak' is not known"),
    ("eucalyptus,B.E.F.,1.2,1.1,1.3,1,t,s", "parameter", "row 3: 'B.E.F.' is not known"),
    ("eucalyptus,D,485,433,558,kg/m³,t,s", "unit", "row 3: unit 'kg/m³' is not the table's 't d.m./m³'"),
    ("eucalyptus,R,0.2,0.3,0.4,1,t,s", "low", "row 3: range must satisfy 0 ≤ low ≤ value ≤ high, not 0.3 ≤ 0.2"),
    ("eucalyptus,R,0.2,0.1,0.3,1,t,", "source", "row 3: no source (eucalyptus R)"),
    ("eucalyptus,BEF,1.2,1.1,1.3,1,t,s", "parameter", "row 3: eucalyptus BEF is given twice"),
])
def test_a_malformed_user_table_is_one_line_naming_file_row_and_column(tmp_path, row, column, message):
    path = write(tmp_path / "因子.csv", HEADER + EUCALYPTUS_BEF + row + "\n")
    with pytest.raises(SchemaError) as error:
        BiomassFactors.from_layers(path)
    assert str(error.value).startswith(f"{path} field '{column}': {message}")
    assert "\n" not in str(error.value)


def test_missing_columns_and_unknown_tables_are_refused(tmp_path):
    with pytest.raises(SchemaError, match=r"blue\.csv: missing columns \['low', 'high'\]"):
        BlueCarbonFactors.from_layers(write(tmp_path / "blue.csv", "habitat,parameter,value,unit,tier,source\n"
                                                                   "mangrove,soil_stock,400,Mg C/ha,x,y\n"))
    with pytest.raises(InputError, match=r"survey.yaml: 'parameters' has unknown tables \['biomass'\]"):
        user_paths({"biomass": "x.csv"}, tmp_path, tmp_path / "survey.yaml")
    with pytest.raises(InputError, match=r"the parameters.blue_carbon file .*none.csv does not exist"):
        user_paths({"blue_carbon": "none.csv"}, tmp_path, tmp_path / "survey.yaml")


def test_exported_tables_are_the_shipped_ones_and_read_back_identically(tmp_path):
    written = export_tables(tmp_path / "模板")
    assert [p.name for p in written] == [f"{name}.csv" for name in PARAMETER_TABLES]
    again = BiomassFactors.from_layers(tmp_path / "模板" / "biomass_factors.csv")
    shipped = BiomassFactors.from_layers()
    pd.testing.assert_frame_equal(again.values, shipped.values)
    assert set(again.origins.stack()) == {"biomass_factors.csv"}
    with pytest.raises(InputError, match="would overwrite"):
        export_tables(tmp_path / "模板")
    assert len(export_tables(tmp_path / "模板", force=True)) == len(PARAMETER_TABLES)


def test_parameters_export_command(tmp_path):
    result = run("parameters", "export", str(tmp_path / "t"))
    assert result.returncode == 0 and result.stdout.count("wrote ") == len(PARAMETER_TABLES)
    assert_one_line_error(run("parameters", "export", str(tmp_path / "t")), "would overwrite")


# ------------------------------------------------------------------ tier shares, by hand

# Three groups, every factor exact and 0.5 Mg C per m³ (D 0.5 · BEF 2 · (1 + 0) · CF 0.5), so carbon = stock / 2.
TIERS = {"pine": ("GWDD species mean", "PROVISIONAL", "IPCC Tier 1 fallback", "IPCC Tier 1 fallback"),
         "fir": ("GWDD species mean", "literature proxy", "IPCC Tier 1 fallback", "IPCC Tier 1 fallback"),
         "euc": ("literature proxy", "literature value", "literature value", "IPCC Tier 1 fallback")}


def three_groups() -> pd.DataFrame:
    rows = [(g, p, v, v, v, "-", tier, "test") for g, tiers in TIERS.items()
            for p, v, tier in zip(("D", "BEF", "R", "CF"), (0.5, 2.0, 0.0, 0.5), tiers)]
    factors = BiomassFactors.from_table(pd.DataFrame(rows, columns=HEADER.strip().split(",")).astype(str))
    # county a: pine 100 m³ → 50 t C, fir 60 → 30, euc 40 → 20; county b: euc 200 → 100; city 200 t C
    stock = pd.DataFrame({"county": ["a", "a", "a", "b"], "species_group": ["pine", "fir", "euc", "euc"],
                          "stock_m3": [100.0, 60.0, 40.0, 200.0]})
    return carbon_by_group(stock, factors)


def test_tier_shares_add_to_100_and_match_the_hand_computation():
    carbon = three_groups()
    assert carbon["carbon_mg_c"].tolist() == [50.0, 30.0, 20.0, 100.0]
    both = pd.concat([carbon, carbon.assign(county="city")])
    shares = tier_shares(both, "county", "carbon_mg_c", ("D", "BEF", "R", "CF"))
    assert shares.sum(axis=1).to_numpy() == pytest.approx(1.0)
    # city: D sourced = pine + fir = 80 / 200, proxy = euc 120 / 200; BEF sourced = euc 120 / 200,
    # proxy = fir 30 / 200, PROVISIONAL = pine 50 / 200; R sourced = euc, proxy = pine + fir; CF all proxy
    city = shares.loc["city"]
    assert city.loc["D"].tolist() == pytest.approx([0.40, 0.60, 0.0])
    assert city.loc["BEF"].tolist() == pytest.approx([0.60, 0.15, 0.25])
    assert city.loc["R"].tolist() == pytest.approx([0.60, 0.40, 0.0])
    assert city.loc["CF"].tolist() == pytest.approx([0.0, 1.0, 0.0])
    # county a (100 t C): D 80 % sourced; BEF 20 % sourced (euc), 30 % proxy (fir), 50 % PROVISIONAL (pine)
    assert shares.loc[("a", "BEF")].tolist() == pytest.approx([0.20, 0.30, 0.50])
    lines = quality_text(shares)
    assert lines["city"] == ("D 40 % sourced, 60 % proxy; BEF 60 % sourced, 15 % proxy, 25 % provisional; "
                             "R 60 % sourced, 40 % proxy; CF 100 % proxy")
    assert lines["b"] == "D 100 % proxy; BEF 100 % sourced; R 100 % sourced; CF 100 % proxy"
    assert carbon.loc[0, ["tier_D", "tier_BEF", "tier_R", "tier_CF"]].tolist() == [
        "sourced", "provisional", "proxy", "proxy"]
    assert set(carbon["factors_from"]) == {"shipped"}


def test_whole_percents_always_add_to_100():
    assert whole_percents(pd.Series([1 / 3, 1 / 3, 1 / 3])).tolist() == [34, 33, 33]
    assert whole_percents(pd.Series([0.125, 0.875, 0.0])).tolist() == [13, 87, 0]  # 12.5 + 87.5


def test_variance_shares_split_the_approach_1_range_by_factor():
    factors = BiomassFactors.from_table(factor_table(HAND))
    stock = pd.DataFrame({"county": ["a", "b", "a"], "species_group": ["pine", "pine", "fir"],
                          "stock_m3": [200.0, 50.0, 120.0]})
    carbon = carbon_by_group(stock, factors)
    shares = factors.variance_shares(carbon)
    # pine 117.1875 t C: (C · u_f)² with u_D = u_BEF = 0.2, u_(1+R) = 0.04, u_CF = 0.1; fir 36 t C, only u_CF = 0.2
    cells = {"D": (117.1875 * 0.2) ** 2, "BEF": (117.1875 * 0.2) ** 2, "R": (117.1875 * 0.04) ** 2,
             "CF": (117.1875 * 0.1) ** 2 + (36 * 0.2) ** 2}
    half = combine(carbon.assign(county="city"), "county", "carbon_mg_c").loc["city"]
    half = half["high"] - half["value"]
    assert half ** 2 == pytest.approx(sum(cells.values()))
    assert half == pytest.approx(math.hypot(117.1875 * U_PINE, 36 * U_FIR))
    assert shares.sum().to_dict() == pytest.approx({f: c / half ** 2 for f, c in cells.items()})


# ------------------------------------------------------------------ the demo with the bureau's own table


@pytest.fixture(scope="module")
def own_run(demo_survey, tmp_path_factory):
    """The demo survey with every exported table as its own, eucalyptus BEF doubled (1.251 → 2.502)."""
    from sinkmap.survey.compute import compute_survey

    folder = tmp_path_factory.mktemp("own") / "省清单"
    export_tables(folder)
    table = pd.read_csv(folder / "biomass_factors.csv", dtype=str, keep_default_na=False)
    row = (table["species_group"] == "eucalyptus") & (table["parameter"] == "BEF")
    for column in ("value", "low", "high"):
        table.loc[row, column] = str(2 * float(table.loc[row, column].iloc[0]))
    table.loc[row, "tier"], table.loc[row, "source"] = "provincial inventory", "test: the demo's BEF doubled"
    table.to_csv(folder / "biomass_factors.csv", index=False)
    params = {name: str(folder / f"{name}.csv") for name in PARAMETER_TABLES}
    config = load_config(demo_config(demo_survey, tmp_path_factory.mktemp("cfg"), parameters=params))
    with pytest.warns(Warning):  # the demo's own overlapping redlines
        return compute_survey(config)


def test_provenance_records_the_surveys_own_tables(own_run, tmp_path):
    import hashlib

    from sinkmap.survey.provenance import Command, survey_provenance

    config = own_run.config
    record = survey_provenance(config, Command(config.source), tmp_path)
    for name, path in config.parameters.items():
        own = record["parameter_tables"][name]["own"]
        assert (config.source.parent / own["path"]).resolve() == path.resolve()  # relative to survey.yaml's folder
        assert own["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert own["rows"] == record["parameter_tables"][name]["shipped"]["rows"]  # every row exported
    biomass = record["parameter_tables"]["biomass_factors"]
    # eucalyptus BEF: "literature value" → "provincial inventory", sourced both: the same rows per tier
    assert biomass["own"]["rows_per_tier"] == biomass["shipped"]["rows_per_tier"]
    assert biomass["own"]["sha256"] != biomass["shipped"]["sha256"]


def test_doubling_one_bef_changes_the_carbon_by_exactly_that_groups_carbon(demo_survey, own_run):
    before = pd.read_csv(demo_survey / "carbon_by_group.csv", dtype={"county": str}, encoding="utf-8-sig")
    after = own_run.carbon_groups.set_index(["county", "species_group"])["carbon_mg_c"]
    before = before.set_index(["county", "species_group"])["carbon_mg_c"]
    after = after.reindex(before.index)
    eucalyptus = before.index.get_level_values(1) == "eucalyptus"
    # × 2 exactly in memory; the CSV keeps 10 significant digits, hence rel=1e-9
    assert after[eucalyptus].to_numpy() == pytest.approx(2 * before[eucalyptus].to_numpy(), rel=1e-9)
    assert after[~eucalyptus].to_numpy() == pytest.approx(before[~eucalyptus].to_numpy(), rel=1e-9)
    table = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    old = table.set_index(["indicator", "adcode"])["value"]
    new = own_run.indicators.set_index(["indicator", "adcode"])["value"]
    # city biomass carbon grows by the demo's eucalyptus carbon, county by county (to the CSV's 10 digits:
    # ±0.001 t C on 3·10⁶ t C)
    gain = before[eucalyptus].groupby(level=0).sum()
    assert new["biomass_carbon", "441500"] - old["biomass_carbon", "441500"] == pytest.approx(gain.sum(), abs=0.01)
    for county, extra in gain.items():
        assert new["biomass_carbon", county] - old["biomass_carbon", county] == pytest.approx(extra, abs=0.01)
    # the exported tables read back as the survey's own give every other number unchanged (round trip)
    moved = {"biomass_carbon", "biomass_co2e", "carbon_sink", "carbon_sink_total"}
    same = [i for i in old.index if i[0] not in moved]
    assert new[same].to_numpy() == pytest.approx(old[same].to_numpy(), rel=1e-9, nan_ok=True)


def test_the_outputs_name_the_file_each_factor_came_from(own_run):
    carbon = own_run.carbon_groups
    assert set(carbon.loc[carbon["species_group"] == "eucalyptus", "factors_from"]) == {"biomass_factors.csv"}
    source = own_run.indicators.set_index(["indicator", "adcode"]).loc[("biomass_carbon", "441500"), "source"]
    assert "D·BEF·(1+R)·CF from biomass_factors.csv (" in source
    quality = own_run.indicators.set_index(["indicator", "adcode"]).loc[("biomass_carbon", "441500"), "quality"]
    assert quality.startswith("D ") and "; BEF " in quality


def test_a_malformed_table_in_survey_yaml_stops_before_any_output(demo_survey, tmp_path):
    bad = write(tmp_path / "省清单.csv", HEADER + "eucalyptus,BEF,1.3,1.1,1.5,-,t,s\n")
    config = demo_config(demo_survey, tmp_path, parameters={"biomass_factors": str(bad)})
    result = run("survey", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert_one_line_error(result, f"{bad} field 'unit': row 2: unit '-' is not the table's '1'")
    assert not (tmp_path / "out").exists()


def test_validate_checks_the_parameter_tables_and_says_so(demo_survey, tmp_path):
    good = write(tmp_path / "省清单.csv", HEADER + "eucalyptus,BEF,1.3,1.1,1.5,1,literature value,s\n")
    config = demo_config(demo_survey, tmp_path, parameters={"biomass_factors": str(good)})
    result = run("validate", str(config))
    assert result.returncode == 0, result.stderr
    assert f"parameters biomass_factors: OK ({good})" in result.stdout
    bad = write(tmp_path / "坏.csv", HEADER + "eucalyptus,BEF,1.3,1.1,1.5,-,t,s\n")
    config = demo_config(demo_survey, tmp_path, parameters={"biomass_factors": str(bad)})
    assert_one_line_error(run("validate", str(config)), f"{bad} field 'unit': row 2: unit '-' is not the table's '1'")


def test_the_report_shows_the_tier_shares_and_the_sensitivity_chart(demo_survey):
    html = (demo_survey / "report.html").read_text(encoding="utf-8")
    table = pd.read_csv(demo_survey / "indicators.csv", dtype={"adcode": str}, encoding="utf-8-sig")
    city = table[(table["indicator"] == "biomass_carbon") & (table["adcode"] == "441500")].iloc[0]
    assert f"因子等级 factor tiers（汕尾市）: {city['quality']}</p>" in html
    for factor in ("D", "BEF", "R", "CF"):  # each factor's shares add to 100 %
        shown = city["quality"].split(f"{factor} ", 1)[1].split(";")[0]
        assert sum(int(part.split(" %")[0]) for part in shown.split(", ")) == 100
    assert '<figure class="chart" id="figure-' in html and "data:image/png;base64," in html
    assert "图 8 · Figure 8 因子敏感性 · Share of the variance of Shanwei&#39;s biomass carbon" in html
    assert table.loc[table["indicator"] == "stock_volume", "quality"].isna().all()  # carbon figures only
    carbon = pd.read_csv(demo_survey / "carbon_by_group.csv", encoding="utf-8-sig")
    assert set(carbon["tier_BEF"]) <= {"sourced", "proxy", "provisional"} and set(carbon["factors_from"]) == {"shipped"}
