"""Volume → biomass → carbon with IPCC Approach 1 ranges, on factors simple enough to check by hand."""

import math

import numpy as np
import pandas as pd
import pytest

from sinkmap.catalogue import load_catalogue
from sinkmap.errors import SchemaError
from sinkmap.indicators.biomass import BiomassFactors, carbon_by_group, combine, sink_by_difference

# group, parameter, value, low, high
HAND = [
    ("pine", "D", 0.5, 0.4, 0.6), ("pine", "BEF", 1.5, 1.2, 1.8), ("pine", "R", 0.25, 0.2, 0.3),
    ("pine", "CF", 0.5, 0.45, 0.55),
    ("fir", "D", 0.3, 0.3, 0.3), ("fir", "BEF", 2.0, 2.0, 2.0), ("fir", "R", 0.0, 0.0, 0.0),
    ("fir", "CF", 0.5, 0.4, 0.6),
]
# pine: u_D = 0.1/0.5 = 0.2, u_BEF = 0.3/1.5 = 0.2, u_R = 0.05/0.25 = 0.2 → u_(1+R) = 0.2·0.25/1.25 = 0.04,
#       u_CF = 0.05/0.5 = 0.1; u = √(0.2² + 0.2² + 0.04² + 0.1²) = √0.0916
U_PINE = math.sqrt(0.2**2 + 0.2**2 + 0.04**2 + 0.1**2)
U_FIR = 0.1 / 0.5  # only CF is uncertain
C_PER_M3 = {"pine": 0.5 * 1.5 * 1.25 * 0.5, "fir": 0.3 * 2.0 * 1.0 * 0.5}  # D·BEF·(1+R)·CF, Mg C/m³


def factor_table(rows=HAND) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["species_group", "parameter", "value", "low", "high"])
    return table.assign(unit="-", tier="hand", source="test").astype(str)


@pytest.fixture
def factors() -> BiomassFactors:
    return BiomassFactors.from_table(factor_table())


@pytest.fixture
def three_stands() -> pd.DataFrame:
    # P1: 2 ha × 100 m³/ha = 200 m³; P2: 1 ha × 50 m³/ha = 50 m³; F1: 3 ha × 40 m³/ha = 120 m³
    return pd.DataFrame({"county": ["a", "b", "a"], "species_group": ["pine", "pine", "fir"],
                         "stock_m3": [2 * 100.0, 1 * 50.0, 3 * 40.0]})


def test_carbon_per_m3_and_uncertainty_by_hand(factors):
    assert factors.carbon_per_m3().to_dict() == pytest.approx(C_PER_M3)
    assert factors.relative_uncertainty().to_dict() == pytest.approx({"pine": U_PINE, "fir": U_FIR})


def test_three_stands_biomass_carbon_and_co2(factors, three_stands):
    out = carbon_by_group(three_stands, factors)
    # P1: 200 m³ × 0.5 t/m³ × 1.5 × 1.25 = 187.5 t d.m. → × 0.5 = 93.75 Mg C → × 44/12 = 343.75 t CO₂e
    assert out["biomass_t"].tolist() == pytest.approx([200 * 0.5 * 1.5 * 1.25, 50 * 0.5 * 1.5 * 1.25, 120 * 0.3 * 2.0])
    assert out["carbon_mg_c"].tolist() == pytest.approx([93.75, 23.4375, 36.0])
    assert out["co2e_t"].tolist() == pytest.approx([93.75 * 44 / 12, 23.4375 * 44 / 12, 36.0 * 44 / 12])


def test_ranges_add_linearly_within_a_group_and_in_quadrature_across(factors, three_stands):
    carbon = carbon_by_group(three_stands, factors)
    per_county = combine(carbon, "county", "carbon_mg_c")
    half_a = math.hypot(93.75 * U_PINE, 36.0 * U_FIR)  # county a: pine and fir are independent
    assert per_county.loc["a"].tolist() == pytest.approx([129.75, 129.75 - half_a, 129.75 + half_a])
    city = combine(carbon.assign(county="city"), "county", "carbon_mg_c").loc["city"]
    # both pine stands share the pine factors: (93.75 + 23.4375) · u_pine, then with fir in quadrature
    half = math.hypot((93.75 + 23.4375) * U_PINE, 36.0 * U_FIR)
    assert city.tolist() == pytest.approx([153.1875, 153.1875 - half, 153.1875 + half])


def test_approach_1_agrees_with_a_seeded_monte_carlo(factors, three_stands):
    rng = np.random.default_rng(7)
    n = 200_000
    total = np.zeros(n)
    for group, volume in three_stands.groupby("species_group")["stock_m3"].sum().items():
        draw = {}
        for p in ("D", "BEF", "R", "CF"):
            v, lo, hi = (getattr(factors, k).loc[group, p] for k in ("values", "low", "high"))
            draw[p] = rng.normal(v, (hi - lo) / 2 / 1.96, n)  # 95 % range → σ
        total += volume * draw["D"] * draw["BEF"] * (1 + draw["R"]) * draw["CF"]
    carbon = carbon_by_group(three_stands, factors)
    city = combine(carbon.assign(county="city"), "county", "carbon_mg_c").loc["city"]
    low, high = np.percentile(total, [2.5, 97.5])
    # a product of normals is slightly skewed: the error-propagation bounds match within 3 % of the value
    assert low == pytest.approx(city["low"], rel=0.03) and high == pytest.approx(city["high"], rel=0.03)


def test_sink_by_stock_difference(factors, three_stands):
    before = carbon_by_group(three_stands.assign(stock_m3=[150.0, 50.0, 100.0]), factors)
    after = carbon_by_group(three_stands, factors)
    sink = sink_by_difference(before, after, 5, "county").set_index(["county", "species_group"])
    # county a pine: (200 − 150) m³ × 0.46875 Mg C/m³ / 5 yr = 4.6875 Mg C/yr = 17.1875 t CO₂e/yr
    assert sink.loc[("a", "pine"), "sink_mg_c_per_yr"] == pytest.approx(50 * C_PER_M3["pine"] / 5)
    assert sink.loc[("a", "pine"), "sink_co2e_t_per_yr"] == pytest.approx(50 * C_PER_M3["pine"] / 5 * 44 / 12)
    assert sink.loc[("b", "pine"), "sink_mg_c_per_yr"] == 0.0  # no change
    assert sink.loc[("a", "fir"), "sink_mg_c_per_yr"] == pytest.approx(20 * C_PER_M3["fir"] / 5)
    # the same factors in both years: the range scales with the difference, not with the stocks
    a = combine(sink.reset_index(), "county", "sink_co2e_t_per_yr").loc["a"]
    pine, fir = 50 * C_PER_M3["pine"] / 5 * 44 / 12, 20 * C_PER_M3["fir"] / 5 * 44 / 12
    assert a["high"] - a["value"] == pytest.approx(math.hypot(pine * U_PINE, fir * U_FIR))
    with pytest.raises(ValueError, match="after"):
        sink_by_difference(before, after, 0, "county")


def test_a_losing_sink_keeps_its_negative_range(factors, three_stands):
    before = carbon_by_group(three_stands, factors)
    after = carbon_by_group(three_stands.assign(stock_m3=[100.0, 50.0, 120.0]), factors)
    a = combine(sink_by_difference(before, after, 2, "county"), "county", "sink_mg_c_per_yr").loc["a"]
    # (100 − 200) m³ × 0.46875 / 2 yr = −23.4375 Mg C/yr; the range straddles it on both sides
    assert a["value"] == pytest.approx(-23.4375) and a["low"] < a["value"] < a["high"] < 0


def test_missing_group_names_the_group_and_stand(factors):
    groups = pd.Series(["pine", "teak"], index=[10, 11])
    ids = pd.Series(["S-1", "S-2"], index=[10, 11])
    with pytest.raises(SchemaError, match=r"stands.gpkg field 'species_group': no biomass factors for species "
                                          r"groups \['teak'\] \(S-2='teak'\)\. Add D, BEF, R, CF rows"):
        factors.require(groups, ids, path="stands.gpkg")


def test_bad_factor_tables_are_refused():
    with pytest.raises(SchemaError, match=r"species groups \['fir'\] lack one of"):
        BiomassFactors.from_table(factor_table(HAND[:-1]))
    upside_down = [r if r[:2] != ("pine", "D") else ("pine", "D", 0.5, 0.6, 0.4) for r in HAND]
    with pytest.raises(SchemaError, match=r"0 ≤ low ≤ value ≤ high: pine.D"):
        BiomassFactors.from_table(factor_table(upside_down))


def test_shipped_table_covers_every_tree_group_with_a_source():
    factors = BiomassFactors.from_layers()
    groups = set(load_catalogue().layer("stands").fields["species_group"].allowed) - {"bamboo", "shrub"}
    assert groups <= set(factors.values.index)
    assert (factors.sources.map(lambda s: len(s.strip()) > 10)).all().all()
    assert ((factors.low <= factors.values) & (factors.values <= factors.high)).all().all()
    assert factors.carbon_per_m3().between(0.2, 0.8).all()  # Mg C per m³ of stem volume: plausible range


def test_tiers_are_summarised_per_parameter_so_provisional_values_stay_visible():
    table = factor_table().assign(tier=lambda t: np.where(t["parameter"].isin(["D", "BEF"]), "PROVISIONAL", "Tier 1"))
    assert BiomassFactors.from_table(table).tiers.to_dict() == {
        "fir": "D/BEF PROVISIONAL, R/CF Tier 1", "pine": "D/BEF PROVISIONAL, R/CF Tier 1"}


def test_shipped_fallbacks_are_ipcc_tier_1_and_placeholders_say_so():
    factors = BiomassFactors.from_layers()
    # CF 0.47 (0.44–0.49) is IPCC 2006 Table 4.3; R 0.20 (0.09–0.25) Table 4.4 subtropical humid, AGB < 125 t/ha
    assert factors.values.loc["masson_pine", ["R", "CF"]].tolist() == [0.20, 0.47]
    assert factors.sources.loc["masson_pine", "CF"].startswith("IPCC 2006 Vol.4 Ch.4 Table 4.3")
    assert factors.values.loc["mangrove", ["R", "CF"]].tolist() == [0.96, 0.45]  # 2013 Wetlands Supplement
    assert "@1e423387 (model version 1.3.2" in factors.sources.loc["masson_pine", "CF"]  # the commit with 0.47
    sourced = {"eucalyptus", "slash_pine"}  # BEF opened: Zhu et al. 2020; Sanquetta et al. 2011 (a proxy)
    assert all("BEF PROVISIONAL" in t for g, t in factors.tiers.items() if g not in sourced)
    assert not any("PROVISIONAL" in factors.tiers[g] for g in sourced)


def test_eucalyptus_and_slash_pine_bef_and_r_are_the_opened_values():
    factors = BiomassFactors.from_layers()
    # Zhu et al. 2020, 林业科学 56(5): BEF 1.251 (1.05–1.35), R 0.190 (0.04–0.36), Chinese eucalyptus plantations
    cells = ["values", "low", "high"]
    assert [getattr(factors, c).loc["eucalyptus", "BEF"] for c in cells] == [1.251, 1.05, 1.35]
    assert [getattr(factors, c).loc["eucalyptus", "R"] for c in cells] == [0.19, 0.04, 0.36]
    # Sanquetta et al. 2011, Pinus in southern Brazil: BEF 1.47 ± 30 % (1.03–1.91), R 0.17 ± 0.14 (0.03–0.31)
    assert [getattr(factors, c).loc["slash_pine", "BEF"] for c in cells] == [1.47, 1.03, 1.91]
    assert [getattr(factors, c).loc["slash_pine", "R"] for c in cells] == [0.17, 0.03, 0.31]
    assert factors.cell_tiers.loc["slash_pine", "BEF"] == "literature proxy"
    assert "±30 %" in factors.sources.loc["slash_pine", "BEF"]


def test_wood_densities_are_the_means_of_the_global_wood_density_database_rows():
    factors = BiomassFactors.from_layers()
    # GWDD (Zanne et al. 2009) China rows, g/cm³ = t/m³: Pinus massoniana rows 12127–12133
    masson = (0.458913 + 0.47355 + 0.509712 + 0.557928 + 0.433 + 0.45 + 0.51) / 7  # = 0.4847
    assert factors.values.loc["masson_pine", "D"] == pytest.approx(masson, abs=5e-4)
    assert (factors.low.loc["masson_pine", "D"], factors.high.loc["masson_pine", "D"]) == (0.433, 0.558)
    # Cunninghamia lanceolata, the 11 China rows
    fir = (0.27552 + 0.305655 + 0.307377 + 0.308238 + 0.319431 + 0.33579 + 0.358176 + 0.26 + 0.298 + 0.3
           + 0.306) / 11  # = 0.3068
    assert factors.values.loc["chinese_fir", "D"] == pytest.approx(fir, abs=5e-4)
    assert factors.tiers["masson_pine"] == "D GWDD species mean, BEF PROVISIONAL, R/CF IPCC Tier 1 fallback"
    assert factors.sources.loc["masson_pine", "D"].startswith("Global Wood Density Database (Zanne")
    # broadleaf groups: proxy species' China rows, each species weighted equally, range widened by 10 %
    schima, camphor = (0.526071 + 0.549318) / 2, (0.460635 + 0.49938 + 0.437) / 3
    hystrix, fissa = (0.631113 + 0.584) / 2, (0.445998 + 0.445998 + 0.416 + 0.425) / 4
    glauca = (0.768012 + 0.7749 + 0.683 + 0.705) / 4
    hard = (schima + camphor + hystrix + fissa + glauca) / 5  # = 0.5554
    assert factors.values.loc["hard_broadleaf", "D"] == pytest.approx(hard, abs=5e-4)
    assert factors.low.loc["hard_broadleaf", "D"] == pytest.approx(0.416 * 0.9, abs=5e-4)
    assert factors.high.loc["hard_broadleaf", "D"] == pytest.approx(0.7749 * 1.1, abs=1e-3)  # rounded outwards
    michelia, mytilaria = (0.556206 + 0.531) / 2, 0.492492
    populus = 0.38120484  # the 32 China rows 12509–12552
    soft = (michelia + mytilaria + populus) / 3  # = 0.4724
    assert factors.values.loc["soft_broadleaf", "D"] == pytest.approx(soft, abs=5e-4)
    mixed = (schima + camphor + hystrix + fissa + glauca + michelia + mytilaria + populus) / 8  # = 0.5243
    assert factors.values.loc["broadleaf_mixed", "D"] == pytest.approx(mixed, abs=5e-4)
    assert factors.tiers["broadleaf_mixed"] == "D literature proxy, BEF PROVISIONAL, R/CF IPCC Tier 1 fallback"
    assert "Schima superba 0.538 (rows 13915–13916)" in factors.sources.loc["hard_broadleaf", "D"]
