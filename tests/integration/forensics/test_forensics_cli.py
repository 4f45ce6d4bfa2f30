"""``escrutinio forensics`` on a loaded store, through the real CLI: status words, levels, order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.onpe_sample import write


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("forensics-cli")
    db = tmp / "s.db"
    loaded = _cli(db, "load", str(write(tmp / "s.csv")), "--election", "peru-2021-runoff")
    assert loaded.returncode == 0, loaded.stderr
    return db


def test_forensics_cli_json_has_one_result_shape(store: Path) -> None:
    out = _cli(store, "forensics", "--tests", "integer,digits,count_order", "--by", "province", "--format", "json")
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)["results"]
    for r in results:
        assert {"name", "kind", "flagged", "status", "p_value", "estimates", "null", "level", "wording"} <= set(r)
        assert r["flagged"] in (True, False, None)
        assert r["status"] == {True: "flagged", False: "not flagged", None: "cannot tell"}[r["flagged"]]
    order = next(r for r in results if r["name"] == "count_order.projection")
    assert order["flagged"] is None and "--order" in order["wording"]


def test_forensics_cli_text_prints_status_words(store: Path) -> None:
    out = _cli(store, "forensics", "--tests", "digits,count_order")
    assert out.returncode == 0, out.stderr
    assert "cannot tell" in out.stdout and "[ok]" not in out.stdout


def test_forensics_cli_by_takes_the_election_level_names(store: Path) -> None:
    wrong = _cli(store, "forensics", "--tests", "digits", "--by", "region")
    assert wrong.returncode == 2  # a usage error, as --tests bogus
    assert wrong.stderr.count("\n") == 1 and "department, province, district, national" in wrong.stderr
    ok = _cli(store, "forensics", "--tests", "digits", "--by", "province", "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert {r["level"] for r in json.loads(ok.stdout)["results"] if r["name"] == "digits.last_digit"} == {"province"}


@pytest.mark.parametrize(
    ("by", "why"),
    [("country", "voting abroad"), ("polling_place", "no polling places"), ("polling place", "no polling places")],
)
def test_forensics_cli_by_refuses_levels_it_would_not_condition_on(store: Path, by: str, why: str) -> None:
    # An abroad level used to be replaced silently by the domestic level in its place (country ->
    # province), and polling_place without polling places gave the district's figures as its own.
    out = _cli(store, "forensics", "--tests", "digits", "--by", by)
    assert out.returncode == 2, out.stdout
    assert out.stderr.count("\n") == 1 and why in out.stderr and "department, province, district" in out.stderr


def test_forensics_cli_order_file_errors_name_the_place(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "order.csv"
    bad.write_text("table,at\n000001,2021-06-06T18:00\n000002,soon\n")
    out = _cli(store, "forensics", "--tests", "count_order", "--order", str(bad))
    assert out.returncode == 2  # a usage error, as --by galaxy: the option's value cannot be taken
    assert f"{bad}:3:at" in out.stderr and "time (ISO 8601) or a rank" in out.stderr and out.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("command", "option", "content", "start"),
    [
        ("forensics", "--order", None, "error: --order: {path}: file not found"),
        ("forensics", "--order", "table\n999998\n999999\n", "error: --order: {path}:2:table: table '999998' is not"),
        ("forensics", "--claims", None, "error: --claims: {path}: file not found"),
        ("forensics", "--claims", "table\n999998\n999999\n", "error: --claims: {path}:2:table: table '999998' is not"),
        ("stakes", "--claims", None, "error: --claims: {path}: file not found"),
        ("stakes", "--claims", "table\n999998\n999999\n", "error: --claims: {path}:2:table: table '999998' is not"),
    ],
)
def test_option_files_that_cannot_be_taken_are_usage_errors_on_one_line(
    store: Path, tmp_path: Path, command: str, option: str, content: str | None, start: str
) -> None:
    """--by galaxy exits 2 with one line naming the option; an --order or --claims file that is missing
    or names tables not in the election did not (exit 1, and one line per unknown table for --claims)."""
    path = tmp_path / "option.csv"
    if content is not None:
        path.write_text(content)
    args = ("--tests", "count_order,peers") if command == "forensics" else ()
    out = _cli(store, command, *args, option, str(path))
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(start.format(path=path)) and out.stderr.count("\n") == 1, out.stderr
    if content is not None:
        assert out.stderr.endswith("is not in this election (and 1 more)\n")


@pytest.mark.parametrize(
    ("content", "place"),
    [
        ("table,at,extra\n000001,1,x,y\n", ":2:field 4: expected 3 fields as the header has"),
        ("table,table\n000001,000002\n", ":1:table: the header names column 'table' twice"),
        ('table\n"000001\n', ":2:table: a quote is left open"),
    ],
)
@pytest.mark.parametrize(("command", "option"), [("forensics", "--order"), ("forensics", "--claims"), ("stakes", "--claims")])
def test_malformed_option_files_are_usage_errors_naming_the_place(
    store: Path, tmp_path: Path, command: str, option: str, content: str, place: str
) -> None:
    """A ragged row, a header naming a column twice and a quote left open all exited 0: each is one
    line naming FILE:LINE:FIELD, exit 2, for --order and --claims alike."""
    path = tmp_path / "option.csv"
    path.write_text(content)
    args = ("--tests", "count_order,peers") if command == "forensics" else ()
    out = _cli(store, command, *args, option, str(path))
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith(f"error: {option}: {path}{place}") and out.stderr.count("\n") == 1, out.stderr


def test_forensics_cli_thresholds_reach_the_anomaly_checks(store: Path) -> None:
    out = _cli(store, "forensics", "--tests", "anomalies", "--thresholds", "turnout=0.5,null_share=0.01", "-f", "json")
    assert out.returncode == 0, out.stderr
    results = {r["name"]: r for r in json.loads(out.stdout)["results"]}
    assert results["anomalies.turnout_full"]["estimates"]["threshold"] == 0.5
    assert results["anomalies.null_share"]["estimates"]["threshold"] == 0.01
    bad = _cli(store, "forensics", "--thresholds", "turnout=2")
    assert bad.returncode == 2 and "--thresholds: turnout expects a share in (0, 1]" in bad.stderr


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.parametrize(
    "preset", ["russia-2011-duma/2011.csv.gz", "russia-2012-presidential/2012.csv.gz", "russia-2018-presidential/2018.csv.gz"]
)
def test_forensics_cli_russia_preset_by_region(preset: str, tmp_path: Path) -> None:
    """Each Russian election loaded with its preset; the integer test by region is flagged, in the
    election's words (issue 13's first "must show")."""
    from tests.conftest import DATA, need_shared

    name, file = preset.split("/")
    source = need_shared(DATA / name / file)
    db = tmp_path / "r.db"
    loaded = _cli(db, "load", str(source), "--election", name)
    assert loaded.returncode == 0, loaded.stderr
    out = _cli(db, "forensics", "--tests", "integer", "--by", "region", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    either = next(r for r in data["results"] if r["name"] == "integer_peaks.either")
    # Its figures are the nation's at any --by, which splits the excess by region (review13c #11),
    # and it names no table: most round percentages are chance (review13c #4: 20,208 were named).
    assert data["by"] == "region" and either["level"] == "national" and either["estimates"]["by_area_level"] == "region"
    assert either["tables"] == [] and either["estimates"]["by_area_areas"] >= 80 and either["estimates"]["by_area_cut"]
    assert either["flagged"] is True and either["estimates"]["z"] > 5 and either["null"]["draws"] >= 1000
    assert either["estimates"]["by_area"][0]["area"]  # the regions with the largest excess, by name
    # The anomaly checks word the commissions as the election calls them: they said "district" (a
    # level Russia does not have) and printed the key territorial_commission in a sentence.
    out = _cli(db, "forensics", "--tests", "anomalies", "--format", "json")
    assert out.returncode == 0, out.stderr
    results = {r["name"]: r for r in json.loads(out.stdout)["results"]}
    outliers = results["anomalies.cast_outliers"]
    assert "tables of their territorial commission (or coarser area)" in outliers["wording"]
    assert outliers["level"] == "territorial_commission"
    assert set(outliers["details"]["levels_used"]) <= {"territorial_commission", "region", "national"}
    assert "in the same territorial commission carry identical sheets" in results["anomalies.identical"]["wording"]
    assert not [r["name"] for r in results.values() if "district" in r["wording"] or "_" in r["wording"]]


@pytest.mark.shared
@pytest.mark.slow
def test_forensics_cli_bolivia_order_from_the_trep_halt(tmp_path: Path) -> None:
    """Bolivia 2019 through its preset, with --order the actas of the TREP at its halt (20 Oct 19:40,
    83.85 %): the projected MAS − CC margin's interval (10.198 to 10.557) ends 0.008 points short of the
    final count's +10.565 (p = 0.040 from 32,000 draws, its Monte Carlo interval below 0.05), and the
    wording says what is observed, no cause."""
    from tests.conftest import DATA, need_shared

    folder = DATA / "bolivia-2019-first-round"
    db = tmp_path / "b.db"
    loaded = _cli(db, "load", str(need_shared(folder / "final_computo.csv.gz")), "--election", "bolivia-2019-first-round")
    assert loaded.returncode == 0, loaded.stderr
    trep = need_shared(folder / "trep_acta.2019.10.20.19.40.57.csv")
    out = _cli(db, "forensics", "--tests", "count_order", "--order", str(trep), "--format", "json")
    assert out.returncode == 0, out.stderr
    (r,) = [x for x in json.loads(out.stdout)["results"] if x["name"] == "count_order.projection"]
    e = r["estimates"]
    assert e["tables_in_order"] == 28_975 and e["cuts"][-1]["margin_so_far_points"] == pytest.approx(7.88, abs=0.01)
    assert (e["low"], e["high"]) == pytest.approx((10.198, 10.557), abs=0.001), e
    assert e["outside_interval_by_points"] == pytest.approx(0.008, abs=0.001)
    assert r["flagged"] is True and "than where they are explains, by 0.008 points" in r["wording"]
    assert r["p_value"] == pytest.approx(0.040, abs=0.001) and e["p_value_monte_carlo_interval"][1] < 0.05, r
    assert "not its cause" in r["wording"] and "worth explaining" not in r["wording"]


def test_forensics_cli_anomalies_read_abroad_apart(store: Path) -> None:
    """The sample has tables in Lima, Callao and Madrid: every anomaly check runs on the domestic
    tables and on those abroad apart, named, marked and worded as such (JSON, CSV and text)."""
    out = _cli(store, "forensics", "--tests", "anomalies", "--format", "json")
    assert out.returncode == 0, out.stderr
    results = {r["name"]: r for r in json.loads(out.stdout)["results"]}
    for check in ("turnout_full", "null_share", "unanimous", "identical", "cast_outliers"):
        home, away = results[f"anomalies.{check}"], results[f"anomalies.{check}.abroad"]
        assert (home["population"], away["population"]) == ("domestic", "abroad")
        assert home["wording"].startswith("Domestic tables (") and away["wording"].startswith("Tables abroad (1 counted)")
    assert results["anomalies.resolved_net"]["population"] is None
    csv_out = _cli(store, "forensics", "--tests", "anomalies", "--format", "csv")
    assert "population" in csv_out.stdout.splitlines()[0] and ",abroad," in csv_out.stdout
    text = _cli(store, "forensics", "--tests", "anomalies")
    assert "anomalies.null_share.abroad" in text.stdout and "Tables abroad (1 counted)" in text.stdout


@pytest.mark.shared
@pytest.mark.slow
def test_forensics_cli_runoff_anomalies_domestic_and_abroad_apart(tmp_path: Path) -> None:
    """The Peru runoff through its preset: the tables abroad (consulates: low turnout, few electors
    per table) are read on their own, each check's expected counts and rates from their own
    population; domestic and abroad tables add up to every counted table, in JSON and in the text."""
    from tests.conftest import RUNOFF, need_shared

    db = tmp_path / "r.db"
    loaded = _cli(db, "load", str(need_shared(RUNOFF)), "--election", "peru-2021-runoff")
    assert loaded.returncode == 0, loaded.stderr
    out = _cli(db, "forensics", "--tests", "anomalies", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    results = {r["name"]: r for r in data["results"]}
    home, away = results["anomalies.null_share"], results["anomalies.null_share.abroad"]
    n_home = int(home["wording"].split("(")[1].split(" counted")[0].replace(",", ""))
    n_away = int(away["wording"].split("(")[1].split(" counted")[0].replace(",", ""))
    assert n_home + n_away == data["n_counted"] == 84_863 + 1_386 and 1_000 < n_away < 5_000
    # Each population is measured against its own rate (5.7 % of ballots null at home, 5.4 % abroad).
    assert home["estimates"]["null_share_overall"] == pytest.approx(0.0566, abs=5e-4)
    assert away["estimates"]["null_share_overall"] == pytest.approx(0.0538, abs=5e-4)
    by_population = results["anomalies.resolved_net"]["estimates"]["by_population"]
    assert sum(p["resolved_sheets"] for p in by_population.values()) == 1_386
    text = _cli(db, "forensics", "--tests", "anomalies")
    assert "anomalies.cast_outliers.abroad" in text.stdout and "Domestic tables (" in text.stdout


def test_forensics_thresholds_from_the_definition_and_overridden_by_the_option(tmp_path: Path) -> None:
    from escrutinio.formats.definition import read_definition_text

    definition = tmp_path / "runoff.toml"
    text = read_definition_text("peru-2021-runoff")[1]
    definition.write_text(text + "\n[forensics]\nturnout = 0.9\nnull_share = 0.05\n", encoding="utf-8")
    db = tmp_path / "t.db"
    loaded = _cli(db, "load", str(write(tmp_path / "s.csv")), "--election", str(definition))
    assert loaded.returncode == 0, loaded.stderr

    def thresholds(*args: str) -> tuple[float, float]:
        out = _cli(db, "forensics", "--tests", "anomalies", "-f", "json", *args)
        assert out.returncode == 0, out.stderr
        r = {x["name"]: x["estimates"] for x in json.loads(out.stdout)["results"]}
        return r["anomalies.turnout_full"]["threshold"], r["anomalies.null_share"]["threshold"]

    assert thresholds() == (0.9, 0.05)
    assert thresholds("--thresholds", "turnout=0.5") == (0.5, 0.05)


def test_forensics_says_when_the_store_was_loaded_without_the_abroad_split(store: Path, tmp_path: Path) -> None:
    """A store loaded with a definition older than the preset (no abroad levels: Russia's split came
    later) reads domestic and abroad tables together: forensics says so, from the definition the store
    recorded, in the text, the JSON and beside the CSV, instead of mixing them silently."""
    from escrutinio.formats.definition import read_definition_text

    older = read_definition_text("peru-2021-runoff")[1].replace('abroad_levels = ["continent", "country", "city"]\n', "")
    assert "abroad_levels" not in older
    definition = tmp_path / "older.toml"
    definition.write_text(older, encoding="utf-8")
    db = tmp_path / "old.db"
    loaded = _cli(db, "load", str(write(tmp_path / "s.csv")), "--election", str(definition))
    assert loaded.returncode == 0, loaded.stderr
    text = _cli(db, "forensics", "--tests", "anomalies")
    assert text.returncode == 0, text.stderr
    assert "Note: tables abroad are not marked in this store: it was loaded with an older definition" in text.stdout
    assert "anomalies.null_share.abroad" not in text.stdout
    (note,) = json.loads(_cli(db, "forensics", "--tests", "anomalies", "-f", "json").stdout)["notes"]
    assert "reload" in note.lower() and "--election peru-2021-runoff" in note
    as_csv = _cli(db, "forensics", "--tests", "anomalies", "-f", "csv")
    assert as_csv.returncode == 0 and as_csv.stderr.startswith("note: tables abroad are not marked")
    # The same sheets loaded with the preset: tables abroad read apart, nothing to note.
    assert json.loads(_cli(store, "forensics", "--tests", "anomalies", "-f", "json").stdout)["notes"] == []


def test_a_report_folder_that_cannot_be_written_is_refused_before_the_tests_run(store: Path, tmp_path: Path) -> None:
    """It was a bare OS error ("[Errno 2] No such file or directory"), exit 1, after the whole suite ran."""
    a_file = tmp_path / "taken"
    a_file.write_text("")
    for folder, why in ((a_file, "a file is there, not a folder"), (a_file / "sub", "Not a directory")):
        out = _cli(store, "forensics", "--tests", "digits", "--report", str(folder))
        assert out.returncode == 2, out.stderr
        assert out.stderr == f"error: --report: {folder}: cannot write the report here ({why})\n"


def test_forensics_cli_seed_makes_the_resampling_reproducible(store: Path) -> None:
    """docs/forensics-calibration.md tells readers to move the interval's resampling with --seed, which
    the CLI refused: a seed is taken (the same seed, the same figures) and a negative one is refused."""
    runs = [_cli(store, "forensics", "--tests", "integer,digits", "--seed", "7", "-f", "json") for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr
    strip = [{k: v for k, v in json.loads(r.stdout).items() if k != "elapsed_seconds"} for r in runs]
    assert strip[0] == strip[1]
    bad = _cli(store, "forensics", "--tests", "digits", "--seed", "-1")
    assert bad.returncode == 2 and "--seed" in bad.stderr


@pytest.mark.parametrize(("command", "option"), [("forensics", "--claims"), ("forensics", "--order"), ("stakes", "--claims")])
def test_a_list_with_a_header_and_no_table_is_refused_alike(store: Path, tmp_path: Path, command: str, option: str) -> None:
    """--order refused a header with no row (file:1:table: no table is listed); --claims took it and
    the suite said "no claimed tables were given", exit 0 (review13c #8)."""
    path = tmp_path / "empty.csv"
    path.write_text("table\n")
    args = ("--tests", "count_order,peers") if command == "forensics" else ()
    out = _cli(store, command, *args, option, str(path))
    assert out.returncode == 2, out.stdout
    assert out.stderr.startswith(f"error: {option}: {path}:1:table: no table is listed under the header")
    assert out.stderr.count("\n") == 1


def test_python_m_escrutinio_runs_the_cli(store: Path) -> None:
    """``python -m escrutinio`` failed: the package had no __main__ (review13c #10)."""
    out = subprocess.run(
        [sys.executable, "-m", "escrutinio", "--db", str(store), "forensics", "--tests", "digits", "-f", "json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["results"][0]["family"] == "digits"


_FAILING_FINGERPRINT = (
    "import sys\n"
    "from escrutinio.forensics import fingerprint\n"
    "def broken(*args, **kwargs):\n"
    "    raise RuntimeError('a bug in the fingerprint')\n"
    "fingerprint.test = broken\n"
    "from escrutinio.cli import main\n"
    "sys.argv[0] = 'escrutinio'\n"
    "main()\n"
)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_family_that_fails_is_an_error_and_the_command_exits_non_zero(store: Path, fmt: str) -> None:
    """A family that raises (here the fingerprint, made to fail) is shown as "error", not "cannot tell"
    (which says the data could not answer), the other families' results are still printed, and the
    command exits 1 naming the family: it printed "cannot tell" and exited 0."""
    args = ["--db", str(store), "forensics", "--tests", "fingerprint,integer", "--format", fmt]
    out = subprocess.run([sys.executable, "-c", _FAILING_FINGERPRINT, *args], capture_output=True, text=True)
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert out.stderr.endswith("error: the fingerprint test failed to run (see its result)\n"), out.stderr
    if fmt == "json":
        results = {r["name"]: r for r in json.loads(out.stdout)["results"]}
        assert results["fingerprint.error"]["status"] == "error" and results["fingerprint.error"]["flagged"] is None
        assert "a bug in the fingerprint" in results["fingerprint.error"]["wording"]
        assert results["integer_peaks.either"]["status"] in ("flagged", "not flagged", "cannot tell")
    else:
        assert "      error  fingerprint.error" in out.stdout and "integer_peaks.either" in out.stdout, out.stdout
