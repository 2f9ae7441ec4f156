"""The pipelines: one Python function per command, each reading its inputs, computing through the pure
``indicators`` (and the ``zonal`` engine) and writing through ``writers``; the CLI only parses
arguments, calls one of them and prints.

=============  ==========================  =========================================================
command        function                    returns
=============  ==========================  =========================================================
``survey``     ``survey.run_survey``       the paths written (tables, survey.gpkg, map, report, provenance.json)
               ``survey.run_demo``         the same, for the SYNTHETIC demo dataset
``ledger``     ``ledger.run_ledger``       the redline tables, file name → DataFrame (written with out_dir)
``carbon``     ``carbon.run_carbon``       the paths written (carbon_total.tif, carbon_summary.csv …)
``map``        ``map.run_map``             the HTML file written
``zonal``      ``zonal.run_zonal``         the rows written (the table a part of the zones at a time)
               ``zonal.zonal_table``       the statistics table, in memory
=============  ==========================  =========================================================

The modules are imported on first use (``from sinkmap.pipelines.ledger import run_ledger``), so a
command loads only what it needs.
"""
