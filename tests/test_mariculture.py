"""Mariculture harvest removal: the factor table, species names, hand-computed removals and their ranges."""

import math

import pandas as pd
import pytest

from sinkmap.catalogue import read_parameter_table
from sinkmap.errors import SchemaError
from sinkmap.indicators.mariculture import FACTORS, KEY, MaricultureFactors, removal, totals
from sinkmap.mappings import shipped_mappings
from sinkmap.readers.parameters import shipped_table
from sinkmap.resources import layers_dir

GROUPS = {"kelp", "gracilaria", "porphyra", "undaria", "other_seaweeds",
          "oyster", "scallop", "mussel", "clam", "ark_clam", "other_bivalves"}
HEADER = "mariculture_group,parameter,value,low,high,unit,tier,source\n"
CO2 = 44 / 12

# layers/parameters/mariculture.csv (Sun Kang et al. 2020 Table 2, rows 牡蛎 and 海带):
# oyster dry/wet 0.6510 [0.5208, 0.7812], soft share 0.0614 [0.0307, 0.0921], shell share 0.9386,
#        soft C 0.4598 [0.3977, 0.4736], shell C 0.1268 [0.1112, 0.1505]
# kelp   dry/wet 0.20 [0.14, 0.26], thallus share 1, soft (thallus) C 0.3120 [0.2282, 0.3120], no shell
OYSTER_ORGANIC = 1000 * 0.6510 * 0.0614 * 0.4598  # = 18.37884972 t C per 1,000 t wet
OYSTER_SHELL = 1000 * 0.6510 * 0.9386 * 0.1268  # = 77.47842648 t C
KELP_ORGANIC = 1000 * 0.20 * 1 * 0.3120  # = 62.4 t C
# Approach 1: u = √Σ (half-width / value)²; the shell share's half-width is the soft share's (0.0307)
U_OYSTER_ORGANIC = math.sqrt((0.1302 / 0.651) ** 2 + (0.0307 / 0.0614) ** 2 + (0.03795 / 0.4598) ** 2)  # 0.5448
U_OYSTER_SHELL = math.sqrt((0.1302 / 0.651) ** 2 + (0.0307 / 0.9386) ** 2 + (0.01965 / 0.1268) ** 2)  # 0.2551
U_KELP = math.sqrt((0.06 / 0.20) ** 2 + (0.0419 / 0.312) ** 2)  # 0.3287


@pytest.fixture(scope="module")
def factors():
    return MaricultureFactors.from_layers()


def yields(*rows):
    return pd.DataFrame(rows, columns=["county", "year", KEY, "harvest_t"])


def test_shipped_table_rows_have_source_tier_and_value_in_range():
    table, _ = read_parameter_table("mariculture")
    assert set(table[KEY]) == GROUPS  # Table 2's unlabelled first row is left out
    assert (table.groupby(KEY)["parameter"].apply(sorted) == [sorted(FACTORS)] * len(GROUPS)).all()
    assert (table["source"].str.len() > 40).all() and table["tier"].str.strip().ne("").all()
    low, value, high = (table[c].astype(float) for c in ("low", "value", "high"))
    assert ((low <= value) & (value <= high) & (high <= 1)).all()
    assert set(table.loc[table[KEY].isin(["clam", "ark_clam"]), "tier"]) == {"literature proxy"}
    assert shipped_table("mariculture")[0].shape[0] == 11 * 5  # the spec's checks pass


def test_hand_computed_oyster_and_kelp(factors):
    rows = removal(yields(("441502", 2024, "牡蛎", 1000.0), ("441581", 2024, "海带", 1000.0)), factors)
    oyster, kelp = rows.iloc[0], rows.iloc[1]
    assert oyster[KEY] == "oyster" and oyster["species"] == "牡蛎" and kelp[KEY] == "kelp"
    assert oyster["organic_c_t"] == pytest.approx(OYSTER_ORGANIC, abs=1e-9)
    assert oyster["shell_c_t"] == pytest.approx(OYSTER_SHELL, abs=1e-9)  # apart, not in organic_c_t
    assert oyster["organic_co2e_t"] == pytest.approx(OYSTER_ORGANIC * CO2, abs=1e-9)
    assert oyster["shell_co2e_t"] == pytest.approx(OYSTER_SHELL * CO2, abs=1e-9)
    assert kelp["organic_c_t"] == pytest.approx(KELP_ORGANIC, abs=1e-9)
    assert kelp["organic_co2e_t"] == pytest.approx(228.8, abs=1e-9)  # 62.4 × 44/12
    assert kelp["shell_c_t"] == 0 and kelp["shell_u_95"] == 0
    assert oyster["organic_u_95"] == pytest.approx(U_OYSTER_ORGANIC, abs=1e-12)
    assert oyster["shell_u_95"] == pytest.approx(U_OYSTER_SHELL, abs=1e-12)
    # the range holds the value; kelp's half-width = 62.4 × 0.3287 = 20.51 t C
    assert kelp["organic_c_low"] < kelp["organic_c_t"] < kelp["organic_c_high"]
    assert kelp["organic_c_high"] - kelp["organic_c_t"] == pytest.approx(KELP_ORGANIC * U_KELP, abs=1e-9)
    assert kelp["organic_co2e_high"] - kelp["organic_co2e_t"] == pytest.approx(KELP_ORGANIC * U_KELP * CO2, abs=1e-9)
    assert oyster["shell_c_low"] == pytest.approx(OYSTER_SHELL * (1 - U_OYSTER_SHELL), abs=1e-9)
    assert (rows[["tier_dry_wet_ratio", "tier_soft_tissue_carbon"]] == "sourced").all().all()


def test_totals_add_a_group_linearly_and_groups_in_quadrature(factors):
    rows = removal(yields(("A", 2023, "oyster", 1000.0), ("A", 2024, "蚝", 500.0), ("A", 2024, "kelp", 1000.0),
                          ("B", 2024, "kelp", 10.0)), factors)
    by_county = totals(rows, by=["county"]).set_index("county")
    oyster = 1.5 * OYSTER_ORGANIC  # the two oyster rows share their factors: their errors add linearly
    assert by_county.at["A", "organic_c_t"] == pytest.approx(oyster + KELP_ORGANIC, abs=1e-9)
    half = math.hypot(oyster * U_OYSTER_ORGANIC, KELP_ORGANIC * U_KELP)
    assert by_county.at["A", "organic_c_high"] - by_county.at["A", "organic_c_t"] == pytest.approx(half, abs=1e-9)
    assert by_county.at["A", "shell_c_t"] == pytest.approx(1.5 * OYSTER_SHELL, abs=1e-9)
    assert by_county.at["B", "organic_co2e_t"] == pytest.approx(KELP_ORGANIC / 100 * CO2, abs=1e-9)
    per_group = totals(rows)  # county × year × group
    assert len(per_group) == 4 and list(per_group.columns[:3]) == ["county", "year", KEY]


def test_chinese_and_english_names_are_accepted(factors):
    names = ["蚝", "生蚝", "青口", "龙须菜", "江蓠", "花蛤", "蛤蜊", "泥蚶", "蚶", "紫菜", "裙带菜", "其他贝类", "其他藻类",
             "Oyster", "ark clam", "other_seaweeds", " 扇贝 "]
    groups = factors.groups(pd.Series(names))
    assert groups.tolist() == ["oyster", "oyster", "mussel", "gracilaria", "gracilaria", "clam", "clam", "ark_clam",
                               "ark_clam", "porphyra", "undaria", "other_bivalves", "other_seaweeds", "oyster",
                               "ark_clam", "other_seaweeds", "scallop"]


def test_unknown_species_are_listed_in_one_message(factors):
    table = yields(("A", 2024, "牡蛎", 1.0), ("A", 2024, "鲍鱼", 2.0), ("A", 2024, "abalone", 1.0),
                   ("B", 2024, "鲍鱼", 3.0)).set_axis([2, 3, 4, 5])  # spreadsheet rows
    with pytest.raises(SchemaError) as caught:
        removal(table, factors, path="产量.csv")
    message = str(caught.value)
    assert message.startswith("产量.csv field 'mariculture_group': no mariculture factors for '鲍鱼' (rows 3, 5), "
                              "'abalone' (row 4).")
    assert "`field,value,code`" in message and "parameters: {mariculture: my_factors.csv}" in message


def test_negative_or_missing_harvests_are_refused(factors):
    with pytest.raises(SchemaError, match=r"field 'harvest_t': harvests must be tonnes ≥ 0, not '-5' \(row 1\)"):
        removal(yields(("A", 2024, "海带", 1.0), ("A", 2024, "海带", "-5")), factors)


def test_a_bureau_row_replaces_exactly_its_value(factors, tmp_path):
    own = tmp_path / "汕尾养殖系数.csv"
    own.write_text(HEADER + "oyster,dry_wet_ratio,0.70,0.60,0.80,t d.m./t wet,bureau measurement,汕尾 2024 测定\n",
                   encoding="utf-8")
    bureau = MaricultureFactors.from_layers(own)
    changed = (bureau.values != factors.values).stack()
    assert changed[changed].index.tolist() == [("oyster", "dry_wet_ratio")]
    assert bureau.provenance() == ("汕尾养殖系数.csv (oyster dry_wet_ratio) and layers/parameters/mariculture.csv "
                                   "(the other values)")
    table = yields(("A", 2024, "牡蛎", 1000.0), ("A", 2024, "海带", 1000.0), ("A", 2024, "扇贝", 1000.0))
    before, after = removal(table, factors), removal(table, bureau)
    assert after.at[0, "organic_c_t"] == pytest.approx(1000 * 0.70 * 0.0614 * 0.4598, abs=1e-9)  # 19.762204
    assert after.at[0, "shell_c_t"] == pytest.approx(1000 * 0.70 * 0.9386 * 0.1268, abs=1e-9)
    pd.testing.assert_frame_equal(after.iloc[1:], before.iloc[1:])  # kelp and scallop unchanged


def test_shares_must_add_to_one_and_be_fractions(tmp_path):
    soft_only = tmp_path / "soft.csv"
    soft_only.write_text(HEADER + "oyster,soft_tissue_share,0.10,0.05,0.15,t/t d.m.,bureau,测定\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"soft.csv: soft_tissue_share \+ shell_share must be 1, their ranges "
                                          r"mirrored: oyster \(0.1 \[0.05–0.15\] \+ 0.9386"):
        MaricultureFactors.from_layers(soft_only)
    percent = tmp_path / "percent.csv"
    percent.write_text(HEADER + "oyster,dry_wet_ratio,65.10,52.08,78.12,t d.m./t wet,bureau,测定\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"percent.csv field 'value': row 2: oyster dry_wet_ratio is a fraction, "
                                          r"not 78.12 > 1. Write fractions"):
        MaricultureFactors.from_layers(percent)


def test_a_bureau_group_is_taken_with_its_five_rows(factors, tmp_path):
    own = tmp_path / "own.csv"
    rows = [f"缢蛏,{p},{v},{v},{v},{u},bureau,测定" for p, v, u in (
        ("dry_wet_ratio", 0.5, "t d.m./t wet"), ("soft_tissue_share", 0.2, "t/t d.m."), ("shell_share", 0.8, "t/t d.m."),
        ("soft_tissue_carbon", 0.4, "t C/t d.m."), ("shell_carbon", 0.12, "t C/t d.m."))]
    own.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    row = removal(yields(("A", 2024, "缢蛏", 100.0)), MaricultureFactors.from_layers(own)).iloc[0]
    assert row["organic_c_t"] == pytest.approx(100 * 0.5 * 0.2 * 0.4, abs=1e-12)  # 4 t C
    assert row["shell_c_t"] == pytest.approx(100 * 0.5 * 0.8 * 0.12, abs=1e-12) and row["organic_u_95"] == 0
    own.write_text(HEADER + "\n".join(rows[:4]) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"mariculture groups \['缢蛏'\] lack one of"):
        MaricultureFactors.from_layers(own)


def test_shipped_names_map_to_groups_with_a_source():
    table = pd.read_csv(layers_dir() / "mappings" / "mariculture_group.csv", dtype=str, keep_default_na=False)
    assert table["source"].str.len().gt(30).all() and set(table["field"]) == {KEY}
    assert set(shipped_mappings()[KEY].values()) <= GROUPS
    for name in ("海带", "龙须菜", "江蓠", "紫菜", "裙带菜", "牡蛎", "蚝", "扇贝", "贻贝", "青口", "蛤", "蛤蜊", "花蛤", "蚶",
                 "泥蚶", "其他贝类", "其他藻类"):
        assert name in shipped_mappings()[KEY], name
