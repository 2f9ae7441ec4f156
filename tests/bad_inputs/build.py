"""Broken and awkward survey inputs, as bureaus really deliver them (issue 15, item 7).

Each case copies what it needs from the demo's inputs (``sinkmap survey --demo``'s ``OUT/inputs``),
damages one thing and writes its ``survey.yaml`` (the demo's, with only the inputs the case needs).
``CASES`` says what ``sinkmap`` must make of each: exit code 2 with one ``sinkmap: error:`` line
holding ``message``, or exit code 0 with ``message`` in a warning, on stdout or in an output.

Build every case into a folder, to look at one by hand::

    python -m tests.bad_inputs.build DEMO_INPUTS_DIR CASES_DIR [NAME ...]
    sinkmap survey -c CASES_DIR/NAME/survey.yaml -o CASES_DIR/NAME/out -q     # or `sinkmap validate`
"""

from __future__ import annotations

import shutil
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml
from shapely import affinity
from shapely.geometry import Polygon, box

DEFAULT_KEEP = ("landcover", "stands")  # the demo survey.yaml's inputs a case keeps unless it asks for more
MARKER = 7  # row of a layer a case damages (any row would do)


# ---------------------------------------------------------------------------------------------- helpers

def copy(src: Path, dst: Path, *names: str) -> None:
    """Copy demo input files into ``dst`` (a Shapefile with its .dbf, .prj, .cpg … siblings)."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = src / name
        siblings = sorted(src.glob(f"{path.stem}.*")) if path.suffix == ".shp" else [path]
        for sibling in siblings:
            shutil.copy2(sibling, dst / sibling.name)


def config(src: Path, dst: Path, *, keep: tuple[str, ...] = DEFAULT_KEEP, text: str | None = None, **changes) -> Path:
    """Write ``dst/survey.yaml``: the demo's, with its scalar keys and the inputs in ``keep`` only, then
    ``changes`` (None drops a key); or ``text`` as it stands."""
    path = dst / "survey.yaml"
    dst.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text, encoding="utf-8")
        return path
    demo = yaml.safe_load((src / "survey.yaml").read_text(encoding="utf-8"))
    raw = {k: v for k, v in demo.items() if not isinstance(v, dict) or k in keep}
    raw.update(changes)
    raw = {k: v for k, v in raw.items() if v is not None}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def base(src: Path, dst: Path, *files: str, keep: tuple[str, ...] = DEFAULT_KEEP, **changes) -> Path:
    """The minimal survey (land cover, stands) plus ``files``, and its survey.yaml with ``changes``."""
    copy(src, dst, "landcover.tif", "stands.gpkg", *files)
    return config(src, dst, keep=keep, **changes)


def read(src: Path, name: str) -> gpd.GeoDataFrame:
    path = src / name
    return gpd.read_parquet(path) if path.suffix == ".parquet" else gpd.read_file(path)


def stands_with(src: Path, dst: Path, change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]) -> Path:
    """The minimal survey whose stand layer ``change`` damaged (it returns the damaged frame)."""
    base(src, dst)
    (dst / "stands.gpkg").unlink()  # written anew, not a layer added to the copy
    change(read(src, "stands.gpkg")).to_file(dst / "stands.gpkg", layer="stands")
    return dst


def _set(frame: gpd.GeoDataFrame, column: str, value) -> gpd.GeoDataFrame:
    """``frame`` with ``value`` in ``column`` of the MARKER row."""
    frame.loc[MARKER, column] = value
    return frame


def stand_ids(src: Path) -> dict[str, str]:
    """The ids a message names: of the stand the stand cases damage (``id``), and of the ones before and after."""
    ids = read(src, "stands.gpkg")["stand_id"].astype(str)
    return {"id": ids[MARKER], "previous_id": ids[MARKER - 1], "next_id": ids[MARKER + 1]}


def mangroves_with(src: Path, dst: Path, frame: gpd.GeoDataFrame, **entry) -> Path:
    """The minimal survey with a mangrove layer ``frame`` (written as mangroves.gpkg) and ``entry`` keys."""
    base(src, dst, mangroves={"path": "mangroves.gpkg", **entry})
    frame.to_file(dst / "mangroves.gpkg", layer="mangroves")
    return dst


def gbk_shelterbelts(src: Path, dst: Path, cpg: str | None) -> Path:
    """The demo's shelterbelts as a GBK Shapefile (site names 长沙湾 …) whose .cpg is gone or says ``cpg``."""
    base(src, dst, keep=(*DEFAULT_KEEP, "shelterbelts"))
    read(src, "shelterbelts.shp").to_file(dst / "shelterbelts.shp", encoding="GBK")
    cpg_file = dst / "shelterbelts.cpg"
    if cpg is None:
        cpg_file.unlink()
    else:
        cpg_file.write_text(cpg)
    return dst


def landcover_like(src: Path, dst: Path, data: np.ndarray | None = None, name: str = "landcover.tif",
                   **profile) -> Path:
    """The demo's land cover, written again with ``data`` (default: as it is) and ``profile`` changes."""
    import rasterio

    with rasterio.open(src / "landcover.tif") as source:
        values = source.read(1) if data is None else data
        out = source.profile | {"dtype": values.dtype.name} | profile
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NotGeoreferencedWarning for crs=None
        with rasterio.open(dst / name, "w", **out) as target:
            target.write(values, 1)
    return dst / name


def scenario_with(src: Path, dst: Path, **row) -> Path:
    """The minimal survey with the demo's scenario table, whose first row takes ``row``'s values."""
    base(src, dst, keep=(*DEFAULT_KEEP, "scenario"))
    table = pd.read_csv(src / "scenario.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column, value in row.items():
        table.loc[0, column] = value
    table.to_csv(dst / "scenario.csv", index=False, encoding="utf-8-sig")
    return dst


def earlier_output(dst: Path) -> None:
    """An output folder holding an earlier run's table, which a refused run must leave as it was."""
    (dst / "out").mkdir()
    (dst / "out" / "indicators.csv").write_text("county,indicator,value\n汕尾市,forest_cover,49.1\n",
                                                 encoding="utf-8-sig")


# ---------------------------------------------------------------------------- the configuration file

def yaml_syntax_error(src, dst):  # a brace left open when the file was edited by hand
    copy(src, dst, "landcover.tif", "stands.gpkg")
    config(src, dst, text="survey_year: 2025\nlandcover: {path: landcover.tif, preset: worldcover}\n"
                          "stands: {path: stands.gpkg, layer: stands\nprojection_end: 2030\n")


def yaml_unknown_key(src, dst):  # `mangrove:` for `mangroves:`
    base(src, dst, "mangroves.gpkg", mangrove={"path": "mangroves.gpkg"})


def layer_key_typo_pth(src, dst):
    base(src, dst, stands={"pth": "stands.gpkg", "layer": "stands"})


def layer_key_typo_layr(src, dst):
    base(src, dst, stands={"path": "stands.gpkg", "layr": "stands"})


def missing_survey_year(src, dst):
    base(src, dst, survey_year=None)


def survey_year_string(src, dst):
    base(src, dst, survey_year="2025年")


def projection_end_before_survey_year(src, dst):
    base(src, dst, projection_end=2020)


def coverage_min_above_one(src, dst):
    base(src, dst, coverage_min=1.5)


def carbon_pools_in_survey_yaml(src, dst):  # an InVEST pools table the survey would have ignored
    base(src, dst, carbon_pools={"path": "stands.gpkg"})


def redline_tolerance_negative(src, dst):
    base(src, dst, redline_tolerance_ha=-0.01)


def path_does_not_exist(src, dst):  # the file was renamed after the config was written
    base(src, dst, stands={"path": "小班_2025.gpkg", "layer": "stands"})


def directory_given_as_file(src, dst):  # the folder the bureau's package unzipped into
    base(src, dst)
    (dst / "小班").mkdir()
    shutil.move(dst / "stands.gpkg", dst / "小班" / "stands.gpkg")
    config(src, dst, stands={"path": "小班", "layer": "stands"})


def zero_byte_gpkg(src, dst):  # a copy that failed half-way
    base(src, dst)
    (dst / "stands.gpkg").write_bytes(b"")


def text_file_named_tif(src, dst):  # a download link that returned an error page
    base(src, dst)
    (dst / "landcover.tif").write_text("<html><head><title>404 Not Found</title></head>"
                                       "<body>404 Not Found</body></html>\n")


def stands_previous_without_year(src, dst):
    base(src, dst, "stands_2020.gpkg", stands_previous={"path": "stands_2020.gpkg", "layer": "stands"})


def landcover_previous_without_redlines(src, dst):
    base(src, dst, "landcover_2020.tif",
         landcover_previous={"path": "landcover_2020.tif", "preset": "worldcover", "year": 2020})


def redlines_previous_after_survey_year(src, dst):
    base(src, dst, "redlines.parquet", "redlines_2022.parquet", keep=(*DEFAULT_KEEP, "redlines"),
         redlines_previous={"path": "redlines_2022.parquet", "year": 2026})


def unknown_preset(src, dst):
    base(src, dst, landcover={"path": "landcover.tif", "preset": "esa_worldcover"})


def encoding_not_a_codec(src, dst):
    base(src, dst, "shelterbelts.shp", keep=(*DEFAULT_KEEP, "shelterbelts"),
         shelterbelts={"path": "shelterbelts.shp", "encoding": "GB-2312"})


def mappings_bad_columns(src, dst):  # the bureau's code table with its own headers
    base(src, dst, stands={"path": "stands.gpkg", "layer": "stands", "mappings": "本县代码.csv"})
    (dst / "本县代码.csv").write_text("字段,原值,代码\n优势树种,柚木,hard_broadleaf\n", encoding="utf-8-sig")


def layer_name_does_not_exist(src, dst):  # the 一张图 layer name of another county
    base(src, dst, stands={"path": "stands.gpkg", "layer": "xb_441521"})


def two_layers_none_named_like_the_kind(src, dst):  # one layer per county
    frame = read(src, "mangroves.gpkg")
    base(src, dst, mangroves={"path": "红树林.gpkg"})
    half = len(frame) // 2
    frame.iloc[:half].to_file(dst / "红树林.gpkg", layer="hf_hsl_2025")
    frame.iloc[half:].to_file(dst / "红树林.gpkg", layer="lf_hsl_2025")


def gcj02_declared_on_projected_layer(src, dst):
    mangroves_with(src, dst, read(src, "mangroves.gpkg").to_crs(4547), gcj02=True)


def scenario_unknown_county(src, dst):  # 深汕 left Shanwei in 2017
    scenario_with(src, dst, county="深汕合作区")


def scenario_years_outside_projection(src, dst):  # a row of the last plan, 2021–2025, left in
    scenario_with(src, dst, year_from="2021", year_to="2025")


def survey_yaml_in_gbk(src, dst):  # saved by Notepad as "ANSI" on a Chinese Windows
    base(src, dst)
    path = dst / "survey.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))


def scenario_csv_in_gbk(src, dst):  # "CSV (逗号分隔)" from Excel on a Chinese Windows, with Chinese labels
    scenario_with(src, dst)
    table = pd.read_csv(dst / "scenario.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    table["county"] = table["county"].map({"441502": "城区", "441521": "海丰县", "441523": "陆河县", "441581": "陆丰市"})
    table["activity"] = table["activity"].map({"afforestation": "造林", "harvest": "采伐"})
    table.to_csv(dst / "scenario.csv", index=False, encoding="gbk")


def scenario_header_only(src, dst):  # every planned row deleted to mean "no plan"
    scenario_with(src, dst)
    path = dst / "scenario.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8-sig")


def output_folder_is_a_file(src, dst):
    base(src, dst)
    (dst / "out").write_text("an earlier export, not a folder\n", encoding="utf-8")


def output_folder_under_a_file(src, dst):
    output_folder_is_a_file(src, dst)


def output_folder_read_only(src, dst):
    base(src, dst)


# ------------------------------------------------------------------------------------ vector layers

def missing_required_field(src, dst):  # exported without the 蓄积 column
    stands_with(src, dst, lambda f: f.drop(columns="volume_per_ha"))


def wrong_field_type(src, dst):  # a text column with a dash for "not measured"
    def change(frame):
        frame["canopy_closure"] = frame["canopy_closure"].map("{:.2f}".format)
        frame.loc[MARKER, "canopy_closure"] = "—"
        return frame
    stands_with(src, dst, change)


def volume_out_of_range(src, dst):
    stands_with(src, dst, lambda f: _set(f, "volume_per_ha", 1200.0))


def canopy_closure_out_of_range(src, dst):
    stands_with(src, dst, lambda f: _set(f, "canopy_closure", 1.3))


def unknown_species(src, dst):  # a species no mapping table knows; rerun into last year's output folder
    stands_with(src, dst, lambda f: _set(f, "species_group", "柚木"))
    earlier_output(dst)


def duplicate_stand_ids(src, dst):  # a 小班 split in two, both halves keeping the number
    stands_with(src, dst, lambda f: _set(f, "stand_id", f.loc[MARKER - 1, "stand_id"]))


def empty_layer(src, dst):  # the schema exported, the rows not
    stands_with(src, dst, lambda f: f.iloc[:0])


def null_geometries(src, dst):  # rows of the attribute table whose polygons were never drawn
    def change(frame):
        frame.loc[[MARKER, MARKER + 1], "geometry"] = None
        return frame
    stands_with(src, dst, change)


def points_instead_of_polygons(src, dst):  # field survey points of the mangrove patches
    frame = read(src, "mangroves.gpkg")
    frame.geometry = frame.geometry.representative_point()
    mangroves_with(src, dst, frame)


def invalid_polygon(src, dst):  # a bow-tie: the last two vertices swapped
    def change(frame):
        x0, y0, x1, y1 = frame.geometry.iloc[MARKER].bounds
        frame.loc[MARKER, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
        return frame
    stands_with(src, dst, change)


def stands_200_km_away(src, dst):  # a stand of another city, with a 海丰 county code
    def change(frame):
        frame.loc[MARKER, "geometry"] = affinity.translate(frame.geometry.iloc[MARKER], xoff=-2.0)
        frame.loc[MARKER, "county"] = "441521"
        return frame
    stands_with(src, dst, change)


def stand_larger_than_its_county(src, dst):  # a 2° × 1° stand
    def change(frame):
        frame.loc[MARKER, "geometry"] = box(114.5, 22.5, 116.5, 23.5)
        return frame
    stands_with(src, dst, change)


def shapefile_without_dbf(src, dst):  # the mail attachment filter kept .shp, .shx, .prj
    base(src, dst, "shelterbelts.shp", keep=(*DEFAULT_KEEP, "shelterbelts"))
    (dst / "shelterbelts.dbf").unlink()


def shapefile_without_shx(src, dst):
    base(src, dst, "shelterbelts.shp", keep=(*DEFAULT_KEEP, "shelterbelts"))
    (dst / "shelterbelts.shx").unlink()


def no_crs(src, dst):  # the .prj was not sent
    base(src, dst, "shelterbelts.shp", keep=(*DEFAULT_KEEP, "shelterbelts"))
    (dst / "shelterbelts.prj").unlink()


def lonlat_labelled_gauss_kruger(src, dst):  # a .prj copied from another delivery
    mangroves_with(src, dst, read(src, "mangroves.gpkg").set_crs(4547, allow_override=True))


def gauss_kruger_labelled_cgcs2000(src, dst):
    mangroves_with(src, dst, read(src, "mangroves.gpkg").to_crs(4547).set_crs(4490, allow_override=True))


def gbk_shapefile_without_cpg(src, dst):
    gbk_shelterbelts(src, dst, None)


def cpg_says_utf8_on_gbk_text(src, dst):
    gbk_shelterbelts(src, dst, "UTF-8")


def unicode_path(src, dst):  # 汕尾市/红线.gpkg, its layer named 红线
    folder = dst / "汕尾市"
    copy(src, folder, "landcover.tif", "stands.gpkg")
    read(src, "redlines.parquet").to_file(folder / "红线.gpkg", layer="红线")
    config(src, dst, keep=(*DEFAULT_KEEP, "redlines"),
           landcover={"path": "汕尾市/landcover.tif", "preset": "worldcover"},
           stands={"path": "汕尾市/stands.gpkg", "layer": "stands"}, redlines={"path": "汕尾市/红线.gpkg"})


# ------------------------------------------------------------------------------------------- rasters

def truncated_geotiff(src, dst):  # a download cut half-way; rerun into last year's output folder
    base(src, dst)
    path = dst / "landcover.tif"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    earlier_output(dst)


def raster_nodata_not_set(src, dst):  # a clip whose fill value 0 was not declared nodata
    base(src, dst)
    landcover_like(src, dst, nodata=None)


def raster_without_crs(src, dst):
    base(src, dst)
    landcover_like(src, dst, crs=None)


def raster_codes_not_in_preset(src, dst):  # a WorldCover map declared CLCD
    base(src, dst, landcover={"path": "landcover.tif", "preset": "clcd"})


def float_raster_with_fractions(src, dst):  # resampled bilinearly: a class code 27.5 between 20 and 30
    import rasterio

    base(src, dst)
    with rasterio.open(src / "landcover.tif") as source:
        data = source.read(1).astype("float32")
    first = np.flatnonzero(data != 0)[0]
    data.flat[first] = 27.5
    landcover_like(src, dst, data)


def all_nodata_landcover(src, dst):  # an export whose values were all lost
    import rasterio

    base(src, dst)
    with rasterio.open(src / "landcover.tif") as source:
        shape, nodata = source.shape, source.nodata
    landcover_like(src, dst, np.full(shape, nodata, dtype="uint8"))


def landcover_of_one_county(src, dst):  # 城区's own map, clipped to its bounding box
    import rasterio
    from rasterio.windows import from_bounds

    from sinkmap import aoi

    base(src, dst, landcover={"path": "lc_城区.tif", "preset": "worldcover"})
    (dst / "landcover.tif").unlink()
    county = aoi.load_counties().set_index("adcode").loc[["441502"]]
    with rasterio.open(src / "landcover.tif") as source:
        window = from_bounds(*county.to_crs(source.crs).total_bounds, transform=source.transform)
        window = window.round_offsets().round_lengths()
        profile = source.profile | {"width": window.width, "height": window.height,
                                    "transform": source.window_transform(window)}
        with rasterio.open(dst / "lc_城区.tif", "w", **profile) as target:
            target.write(source.read(window=window))


def aoi_polygon_outside_the_city(src, dst):  # a forest farm's boundary in the wrong zone: far from 汕尾市
    dst.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"名称": ["林场"]}, geometry=[box(100.0, 23.0, 100.1, 23.1)], crs=4490).to_file(dst / "林场.gpkg")
    base(src, dst, aoi={"path": "林场.gpkg", "name": "东海岸林场"})


def aoi_polygon_with_scenario(src, dst):  # a county-wide scenario beside a polygon survey area
    dst.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(geometry=[box(115.40, 23.00, 115.45, 23.05)], crs=4490).to_crs(4547).to_file(dst / "林场.gpkg")
    base(src, dst, "scenario.csv", keep=(*DEFAULT_KEEP, "scenario"), aoi={"path": "林场.gpkg", "name": "东海岸林场"})


# --------------------------------------------------------------------------------------------- cases

@dataclass(frozen=True)
class Case:
    """One delivery and what sinkmap must make of it.

    ``command``: ``survey`` (run with ``-o out``) or ``validate``. ``exit_code`` 2: one stderr line
    ``sinkmap: error: …`` holding ``message``; 0: ``message`` in ``where`` (``stderr``, ``stdout`` or an
    output file, relative to the case folder). ``message`` may name the damaged stands as ``{id}``,
    ``{previous_id}`` and ``{next_id}`` (``stand_ids``). ``out``: the output folder, relative to the case
    folder or absolute. ``xfail``: why sinkmap fails the case today (a bug, to be fixed in sinkmap).
    """

    name: str
    build: Callable[[Path, Path], object]
    exit_code: int
    message: str
    command: str = "survey"
    where: str = "stderr"
    out: str = "out"
    xfail: str | None = None


CASES = [
    # the configuration file
    Case("yaml_syntax_error", yaml_syntax_error, 2, "survey.yaml: is not valid YAML (while parsing a flow mapping"),
    Case("yaml_unknown_key", yaml_unknown_key, 2, "survey.yaml: unknown keys ['mangrove']"),
    Case("layer_key_typo_pth", layer_key_typo_pth, 2, "survey.yaml: 'stands' needs a path"),
    Case("layer_key_typo_layr", layer_key_typo_layr, 2, "survey.yaml: 'stands' has unknown keys ['layr']"),
    Case("missing_survey_year", missing_survey_year, 2, "survey.yaml: missing keys ['survey_year']"),
    Case("survey_year_string", survey_year_string, 2, "survey.yaml: survey_year must be a year, not '2025年'"),
    Case("projection_end_before_survey_year", projection_end_before_survey_year, 2,
         "survey.yaml: projection_end must be a year from survey_year (2025) on, not 2020"),
    Case("coverage_min_above_one", coverage_min_above_one, 2,
         "survey.yaml: coverage_min must be a share of the land above 0 and at most 1, not 1.5"),
    Case("carbon_pools_in_survey_yaml", carbon_pools_in_survey_yaml, 2,
         "survey.yaml: 'carbon_pools' is an input of `sinkmap carbon`, not of the survey. Remove it"),
    Case("redline_tolerance_negative", redline_tolerance_negative, 2,
         "survey.yaml: redline_tolerance_ha must be an area of 0 ha or more, not -0.01"),
    Case("path_does_not_exist", path_does_not_exist, 2, "小班_2025.gpkg does not exist"),
    Case("directory_given_as_file", directory_given_as_file, 2, "/小班: cannot be read as a vector layer"),
    Case("zero_byte_gpkg", zero_byte_gpkg, 2, "stands.gpkg: cannot be read as a vector layer"),
    Case("text_file_named_tif", text_file_named_tif, 2, "landcover.tif: cannot be read as a raster"),
    Case("stands_previous_without_year", stands_previous_without_year, 2,
         "survey.yaml: 'stands_previous' needs the year of that survey, not None"),
    Case("landcover_previous_without_redlines", landcover_previous_without_redlines, 2,
         "survey.yaml: 'landcover_previous' is given without 'redlines'"),
    Case("redlines_previous_after_survey_year", redlines_previous_after_survey_year, 2,
         "survey.yaml: redlines_previous.year (2026) must be before survey_year (2025)"),
    Case("unknown_preset", unknown_preset, 2, "survey.yaml: landcover preset 'esa_worldcover' is not known"),
    Case("encoding_not_a_codec", encoding_not_a_codec, 2,
         "survey.yaml: 'shelterbelts' encoding 'GB-2312' is not a known text encoding"),
    Case("mappings_bad_columns", mappings_bad_columns, 2, "本县代码.csv: mapping table lacks the columns"),
    Case("layer_name_does_not_exist", layer_name_does_not_exist, 2, "stands.gpkg: has no layer 'xb_441521'"),
    Case("two_layers_none_named_like_the_kind", two_layers_none_named_like_the_kind, 2,
         "红树林.gpkg: has 2 layers (hf_hsl_2025, lf_hsl_2025)"),
    Case("gcj02_declared_on_projected_layer", gcj02_declared_on_projected_layer, 2,
         "mangroves.gpkg: is declared GCJ-02 but its CRS is EPSG:4547"),
    Case("scenario_unknown_county", scenario_unknown_county, 2,
         "scenario.csv field 'county': values not allowed: '深汕合作区' (row 2)"),
    Case("scenario_years_outside_projection", scenario_years_outside_projection, 2, "scenario.csv field 'year_to': the rows end by the survey year 2025 (rows 2)"),
    Case("survey_yaml_in_gbk", survey_yaml_in_gbk, 2, "survey.yaml: is not UTF-8 text (byte 0x"),
    Case("scenario_csv_in_gbk", scenario_csv_in_gbk, 2,
         "scenario.csv: cannot be read as a table ('utf-8' codec can't decode byte"),
    Case("scenario_header_only", scenario_header_only, 2, "scenario.csv: table has no rows"),
    Case("output_folder_is_a_file", output_folder_is_a_file, 2, "out is a file, not a folder"),
    Case("output_folder_under_a_file", output_folder_under_a_file, 2, "out is a file, not a folder", out="out/2025"),
    Case("output_folder_read_only", output_folder_read_only, 2, "cannot write in /sys/kernel",
         out="/sys/kernel/sinkmap-out"),
    # vector layers
    Case("missing_required_field", missing_required_field, 2,
         "stands.gpkg:stands field 'volume_per_ha': required field is missing"),
    Case("wrong_field_type", wrong_field_type, 2, "stands.gpkg:stands field 'canopy_closure': values are not float numbers: {id}='—'"),
    Case("volume_out_of_range", volume_out_of_range, 2, "stands.gpkg:stands field 'volume_per_ha': values outside 0–1000 m³/ha: {id}=1200.0"),
    Case("canopy_closure_out_of_range", canopy_closure_out_of_range, 2,
         "stands.gpkg:stands field 'canopy_closure': values outside 0–1: {id}=1.3"),
    Case("unknown_species", unknown_species, 2, "stands.gpkg:stands field 'species_group': values not allowed: '柚木' (1 stand: {id})"),
    Case("duplicate_stand_ids", duplicate_stand_ids, 2, "stands.gpkg:stands field 'stand_id': values must be unique: {previous_id}="),
    Case("empty_layer", empty_layer, 2, "stands.gpkg:stands: layer has no features"),
    Case("null_geometries", null_geometries, 2, "stands.gpkg:stands: 2 features have no geometry ({id}, {next_id})"),
    Case("points_instead_of_polygons", points_instead_of_polygons, 2,
         "mangroves.gpkg: geometries must be polygons, found Point"),
    Case("invalid_polygon", invalid_polygon, 0, "stands.gpkg:stands: repaired 1 invalid polygons ({id})", command="validate"),
    Case("stands_200_km_away", stands_200_km_away, 2,
         "stands.gpkg:stands field 'county': 1 features lie more than 2 km from every county of the AOI, though they carry "
         "a county code ({id})"),
    Case("stand_larger_than_its_county", stand_larger_than_its_county, 2,
         "stands.gpkg:stands: 1 features are larger than their whole county: {id} ("),
    Case("shapefile_without_dbf", shapefile_without_dbf, 2,
         "shelterbelts.shp field 'belt_id': required field is missing (columns present: geometry)"),
    Case("shapefile_without_shx", shapefile_without_shx, 2,
         "shelterbelts.shp: cannot be read as a vector layer (Unable to open"),
    Case("no_crs", no_crs, 2, "shelterbelts.shp: has no coordinate reference system"),
    Case("lonlat_labelled_gauss_kruger", lonlat_labelled_gauss_kruger, 2,
         "lie far outside the area of use of its CRS EPSG:4547"),
    Case("gauss_kruger_labelled_cgcs2000", gauss_kruger_labelled_cgcs2000, 2,
         "mangroves.gpkg: its CRS is EPSG:4490 (degrees) but its coordinates"),
    Case("gbk_shapefile_without_cpg", gbk_shapefile_without_cpg, 0,
         "shelterbelts.shp: the attribute table is not UTF-8 and no .cpg file gives its encoding; read it as GB18030",
         command="validate"),
    Case("cpg_says_utf8_on_gbk_text", cpg_says_utf8_on_gbk_text, 2,
         "its shelterbelts.cpg declares the encoding 'UTF-8', but the attribute table's text is not UTF-8"),
    Case("unicode_path", unicode_path, 0, "汕尾市/红线.gpkg)", command="validate", where="stdout"),
    # rasters
    Case("truncated_geotiff", truncated_geotiff, 2, "landcover.tif: cannot be read"),
    Case("raster_without_crs", raster_without_crs, 2, "landcover.tif: has no coordinate reference system"),
    Case("raster_nodata_not_set", raster_nodata_not_set, 2,
         "landcover.tif: class codes [0] are not in the 'worldcover' preset"),
    Case("raster_codes_not_in_preset", raster_codes_not_in_preset, 2, "are not in the 'clcd' preset"),
    Case("float_raster_with_fractions", float_raster_with_fractions, 2,
         "landcover.tif: class raster holds 27.5, which is not a whole class code (float32)"),
    Case("all_nodata_landcover", all_nodata_landcover, 0, "not covered: ", where="out/indicators.csv"),
    Case("landcover_of_one_county", landcover_of_one_county, 0, "not covered: lc_城区.tif covers",
         where="out/indicators.csv"),
    # the survey area
    Case("aoi_polygon_outside_the_city", aoi_polygon_outside_the_city, 2,
         "林场.gpkg: its polygons lie outside 汕尾市 (they overlap its counties by 0.00 ha)"),
    Case("aoi_polygon_with_scenario", aoi_polygon_with_scenario, 2,
         "survey.yaml: 'scenario' rows are county-wide and cannot be apportioned to a polygon survey area (东海岸林场)"),
]


def build_case(case: Case, demo_inputs: Path, folder: Path) -> Path:
    """Build ``case`` into ``folder`` (created) from the demo's inputs; return ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    case.build(Path(demo_inputs), folder)
    return folder


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit(__doc__)
    demo, out, names = Path(argv[0]), Path(argv[1]), set(argv[2:])
    for case in CASES:
        if not names or case.name in names:
            print(build_case(case, demo, out / case.name))


if __name__ == "__main__":
    main(sys.argv[1:])
