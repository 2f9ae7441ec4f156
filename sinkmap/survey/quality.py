"""How much of each carbon figure rests on sourced, proxy and provisional factors (the tier shares).

For each factor (D, BEF, R, CF; a habitat's soil stock or accumulation), the share of the figure's
value, weighted by each species group's (habitat's) contribution to it, whose factor has each tier
class (``indicators.parameters.tier_class``). Pure table work; no files written.
"""

from __future__ import annotations

import pandas as pd

from sinkmap.indicators.biomass import FACTORS, sink_by_difference
from sinkmap.indicators.parameters import quality_text, tier_shares
from sinkmap.survey.blue import BlueYear
from sinkmap.survey.forest import ForestYear

SOURCE_NOTE = ("tier shares: for each factor, the share of the value (weighted by each species group's or "
               "habitat's part of it) whose factor is sourced (for the group itself), a proxy (borrowed from another "
               "species, region or a generic Tier 1 default) or PROVISIONAL (a placeholder)")


def _lines(parts: pd.DataFrame, value: str, factors: tuple[str, ...], total: str) -> pd.Series:
    """The tier-share line per county and for the ``total`` unit (index adcode)."""
    if parts.empty:
        return pd.Series(dtype=object)
    both = pd.concat([parts, parts.assign(county=total)], ignore_index=True)
    return quality_text(tier_shares(both, "county", value, factors))


def carbon_quality(current: ForestYear, previous: ForestYear | None, blue: BlueYear | None, total: str
                   ) -> dict[str, pd.Series]:
    """Indicator → its tier-share line per unit (adcode), for every carbon indicator computed."""
    stock = _lines(current.carbon, "carbon_mg_c", FACTORS, total)
    lines = {"biomass_carbon": stock, "biomass_co2e": stock}
    if previous is not None:
        sink = sink_by_difference(previous.carbon, current.carbon, current.year - previous.year, "county")
        lines["carbon_sink"] = _lines(sink, "sink_co2e_t_per_yr", FACTORS, total)
    if blue is not None:
        lines["blue_carbon_soil"] = _lines(blue.soil, "carbon_mg_c", ("soil_stock",), total)
        lines["blue_carbon_sink"] = _lines(blue.sink, "sink_co2e_t_per_yr", ("soil_accumulation",), total)
    if "carbon_sink" in lines and "blue_carbon_sink" in lines:
        forest, coastal = lines["carbon_sink"], lines["blue_carbon_sink"]
        units = forest.index.union(coastal.index)
        lines["carbon_sink_total"] = pd.Series(
            ["; ".join(t for t in (forest.get(u, ""), coastal.get(u, "")) if t) for u in units], index=units)
    return lines
