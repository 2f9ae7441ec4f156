"""Unit conversions: one place for ha, 亩, m³, 万m³, Mg C and t CO₂e.

Constants are exact by definition; derived figures (e.g. 7,050 亩 = 470 ha) are
computed with these functions, never typed in.
"""

from __future__ import annotations

M2_PER_HA = 10_000.0  # 1 ha = 100 m × 100 m
M2_PER_KM2 = 1_000_000.0
HA_PER_KM2 = 100.0
MU_PER_HA = 15.0  # 1 亩 (mu) = 10,000/15 m² = 666.67 m² (市制, statutory since 1930)
M3_PER_WAN_M3 = 10_000.0  # 1 万立方米 = 10⁴ m³
CO2_PER_C = 44.0 / 12.0  # molar mass ratio CO₂ : C (t CO₂ per t C)
DIMENSIONLESS = "1"  # the catalogue's unit of a ratio (canopy closure 0–1): shown as no unit
UNIT_NAMES = {  # unit → its name in 中文 and in English column headers (面积（公顷） / Area (ha))
    "ha": ("公顷", "ha"),
    "亩": ("亩", "mu"),
    "km²": ("平方千米", "km²"),
    "%": ("%", "%"),
    "m³": ("立方米", "m³"),
    "万m³": ("万立方米", "10⁴ m³"),
    "万m³/yr": ("万立方米/年", "10⁴ m³/yr"),
    "t": ("吨", "t"),
    "t C": ("吨碳", "t C"),
    "t CO₂e": ("吨二氧化碳当量", "t CO₂e"),
    "t CO₂e/yr": ("吨二氧化碳当量/年", "t CO₂e/yr"),
}


def shown_unit(unit: str | None) -> str:
    """A unit as printed after a number: "" for none and for a dimensionless ratio."""
    return "" if unit in (None, DIMENSIONLESS) else unit


def m2_to_ha(m2: float) -> float:
    """Square metres → hectares."""
    return m2 / M2_PER_HA


def ha_to_mu(ha: float) -> float:
    """Hectares → 亩."""
    return ha * MU_PER_HA


def mu_to_ha(mu: float) -> float:
    """亩 → hectares."""
    return mu / MU_PER_HA


def ha_to_km2(ha: float) -> float:
    """Hectares → km²."""
    return ha / HA_PER_KM2


def m3_to_wan_m3(m3: float) -> float:
    """m³ → 万立方米 (10⁴ m³)."""
    return m3 / M3_PER_WAN_M3


def wan_m3_to_m3(wan_m3: float) -> float:
    """万立方米 → m³."""
    return wan_m3 * M3_PER_WAN_M3


def c_to_co2(mg_c: float) -> float:
    """t C (= Mg C) → t CO₂e."""
    return mg_c * CO2_PER_C
