"""Docs generated from the catalogue: ``layers/README.md`` is ``catalogue_markdown()``."""

from __future__ import annotations

import pandas as pd

from sinkmap.catalogue import (
    FieldSpec,
    layers_dir,
    load_catalogue,
    load_indicator_specs,
    load_preset,
    load_targets,
    preset_names,
    sinkmap_classes,
)
from sinkmap.columns import ROW, ROW_UNIT_COLUMN, load_output_columns, load_output_tables
from sinkmap.readers.parameters import PARAMETER_TABLES


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _field_row(f: FieldSpec) -> str:
    allowed = ", ".join(f"`{code}` {zh}" for code, zh in f.allowed.items()) if f.allowed else ""
    bounds = ""
    if f.min is not None or f.max is not None:
        bounds = f"{'' if f.min is None else f.min}–{'' if f.max is None else f.max}"
    if f.plausible_max is not None:
        bounds += f" (warns above {f.plausible_max:,g})"
    aliases = ", ".join(f"`{a}`" for a in f.aliases)
    cells = [f"`{f.name}`", f.zh or "", f.type, "yes" if f.required else "no", f.unit or "", bounds, allowed,
             aliases, f.description]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _mapping_tables() -> list[str]:
    """The value mapping tables of ``layers/mappings`` (bureau codes and names → catalogue codes)."""
    out = ["## Value mapping tables", "",
           "Values of bureau data read as catalogue codes before the allowed values are checked; each row carries "
           "its source; `layers/mappings/<field>.csv`. Numeric codes match without their leading zeros. A survey "
           "adds its own with `mappings:` for a layer (a CSV with the columns `field,value,code`).", ""]
    for path in sorted((layers_dir() / "mappings").glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        out += [f"### `{path.stem}`", "", "| value | code | name | note | source |", "|---|---|---|---|---|"]
        out += [f"| {r.value} | `{r.code}` | {_cell(r.name)} | {_cell(r.note)} | {_cell(r.source)} |"
                for r in table.itertuples()]
        out.append("")
    return out


def _output_tables() -> list[str]:
    """The survey's output tables (layers/output_tables.csv) and their columns (layers/output_columns.csv)."""
    out = ["## Survey output tables", "",
           "Each table `sinkmap survey` writes is a CSV and a sheet of `survey.xlsx`; `layers/output_tables.csv`.",
           "", "| table | sheet | 说明 | description |", "|---|---|---|---|"]
    out += [f"| `{name}` | {r.sheet} | {_cell(r.about_zh)} | {_cell(r.about_en)} |"
            for name, r in load_output_tables().iterrows()]
    out += ["", "### Output columns", "",
            "The workbook's two header rows (中文, English, each with its unit); `layers/output_columns.csv`. A row "
            "naming a table holds for that table only; `{year}` or `{factor}` in a column name stands for any value "
            f"(`target_{{year}}`: `target_2025`, `target_2030`); unit `{ROW}`: the row's own unit, in its "
            f"`{ROW_UNIT_COLUMN}` column; `code`: shown as text. Indicator names come from `layers/indicators.csv`.",
            "", "| column | table | 中文 | English | unit |", "|---|---|---|---|---|"]
    out += [f"| `{r.column}` | {f'`{r.table}`' if r.table else ''} | {r.name_zh} | {r.name_en} | {r.unit} |"
            for r in load_output_columns().itertuples()]
    out.append("")
    return out


def catalogue_markdown() -> str:
    """The whole catalogue (layers, classes, presets, indicators, targets) as Markdown."""
    cat = load_catalogue()
    out = [
        "# Layer catalogue",
        "",
        "Generated from `layers/catalogue.yaml` and the tables beside it by `sinkmap catalogue`;",
        "do not edit by hand. The same declarations validate every input before any computation.",
        "A column may be named by its field, its 中文 name or a name under \"also accepted as\".",
        "",
        "## Coordinate reference systems",
        "",
        f"- Stored in: `{cat.storage_crs}` (CGCS2000 geographic).",
        f"- Areas computed in: `{cat.area_crs}`.",
        f"- Accepted: {cat.crs_note}",
        "",
    ]
    for spec in cat.layers.values():
        out += [f"## `{spec.name}` — {spec.title} ({spec.zh})", "", spec.description, ""]
        read_by = ", ".join(f"`sinkmap {p}`" for p in spec.consumed_by)
        reach = ("" if spec.reach_m is None else " Features lie inside a county." if spec.reach_m == 0 else
                 f" A feature outside every county belongs to the nearest one within {spec.reach_m / 1000:g} km.")
        out += [f"Read by {read_by}.{reach}", ""]
        if spec.kind == "raster":
            out += [f"Raster; class presets: {', '.join(f'`{p}`' for p in spec.presets)}.", ""]
            continue
        kind = ("Table (CSV or XLSX; column names case-insensitive)." if spec.kind == "table" else
                f"Vector, {spec.geometry} geometries (GeoPackage, Shapefile, GeoJSON, GeoParquet).")
        out += [kind, "",
                "| field | 中文 | type | required | unit | range | allowed values | also accepted as | description |",
                "|---|---|---|---|---|---|---|---|---|"]
        out += [_field_row(f) for f in spec.fields.values()]
        out.append("")
    out += ["## sinkmap land-cover classes", "", "| code | class | 中文 | counts as forest |", "|---|---|---|---|"]
    out += [f"| {r.code} | {r['class']} | {r.name_zh} | {'yes' if r.counts_as_forest else 'no'} |"
            for _, r in sinkmap_classes().iterrows()]
    out.append("")
    for name in preset_names():
        if name == "sinkmap":
            continue
        table = load_preset(name)
        out += [f"### Preset `{name}`", "", f"Source: {_cell(table['source'].iloc[0])}", "",
                "| code | name | 中文 | sinkmap class |", "|---|---|---|---|"]
        out += [f"| {r.code} | {_cell(r.name_en)} | {r.name_zh} | {r.sinkmap_class} |" for r in table.itertuples()]
        out.append("")
    out += ["## Indicators", "", "| indicator | 中文 | English | unit | description |", "|---|---|---|---|---|"]
    out += [f"| `{i}` | {r.name_zh} | {r.name_en} | {r.unit} | {_cell(r.description)} |"
            for i, r in load_indicator_specs().iterrows()]
    out += ["", "## Parameter tables", "", "Each row carries its source; `layers/parameters/<name>.csv`.", ""]
    for path in sorted((layers_dir() / "parameters").glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        spec = PARAMETER_TABLES.get(path.stem)
        out += [f"### `{path.stem}`", "", *((spec.description[:1].upper() + spec.description[1:] + ".", "")
                                             if spec else ()), "| " + " | ".join(table.columns) + " |",
                "|" + "---|" * len(table.columns)]
        out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
        out.append("")
    out += _mapping_tables()
    out += _output_tables()
    out += ["## Targets", "", "| indicator | scope | year | target | source |", "|---|---|---|---|---|"]
    out += [f"| `{r.indicator}` | {r.scope} | {r.year} | {r.comparison} {r.value:g} {r.unit} | {_cell(r.source)} |"
            for r in load_targets().itertuples()]
    return "\n".join(out) + "\n"
