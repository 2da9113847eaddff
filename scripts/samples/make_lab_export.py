"""Generate the SYNTHETIC messy AAV production log in data_samples/lab_export/.

Run from anywhere:  python scripts/samples/make_lab_export.py
Deterministic: a fixed seed, fixed number formatting and fixed zip timestamps, so re-running gives
byte-identical files.

The file imitates what a lab's Excel tracker exports: one row per prep, headers for people
(``Viral Lot #``, ``Transfection date`` written m/d/Y, ``Final Titer GC/mL``, ``STATUS `` with a
trailing space), a UTF-8 byte-order mark and CRLF line ends (Excel's "CSV UTF-8"), harvest
volumes with thousands separators, failed and aborted preps, a blank row, censored endotoxin
results, a pooled titer, a "see above" and a cell holding two co-processed lots.  The mapping
``aav_production_log_mapping.yaml`` says what each of these means; the README documents the
ground truth.

Ground truth (documented in data_samples/lab_export/README.md):
* 24 preps AAV9-17-001 .. AAV9-17-024, transfected every 7 days from 2017-01-05 (HEK293 triple
  transfection, domain primer);
* final (purified) titer log-normal, median 2.0e13 vg/mL, geometric SD 1.2 (AAV drug substance about
  1e13 vg/mL: data_samples/specs/aav_ds_spec.yaml; ddPCR);
* % full capsids (AUC) normal, mean 80 %, SD 3 % (AUC 70-90 % after AEX polishing, domain primer);
* relative potency normal, mean 100 %, SD 12 % (cell-based assay, integer %);
* endotoxin log-normal, median 0.10 EU/mL, geometric SD 1.5 (spec limit 0.50 EU/mL, USP <85> K/M);
* harvest volume normal, mean 1,250 mL, SD 60 mL (a 2 L-class bioreactor harvest), written with a
  thousands separator;
* deliberate scenarios overwrite the draws (see SCENARIOS).
"""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20170105
OUT = Path(__file__).resolve().parents[2] / "data_samples" / "lab_export"
STEM = "aav_production_log_synthetic"
N_PREPS = 24
FIRST_DATE = date(2017, 1, 5)
HEADERS = ["Viral Lot #", "Transfection date", "Cell line", "Harvest volume (mL)", "Final Titer GC/mL",
           "% Full (AUC)", "Potency (%)", "Endotoxin EU/mL", "STATUS ", "Comments"]
TRUTH = {
    "titer_median": 2.0e13, "titer_gsd": 1.2,
    "full_mean": 80.0, "full_sd": 3.0,
    "potency_mean": 100.0, "potency_sd": 12.0,
    "endotoxin_median": 0.10, "endotoxin_gsd": 1.5,
    "volume_mean": 1250.0, "volume_sd": 60.0,
}

# prep number -> {header: cell text}; overwrite the draws
SCENARIOS: dict[int, dict[str, str]] = {
    4: {"STATUS ": "Failed", "Final Titer GC/mL": "3.1E+11", "% Full (AUC)": "", "Potency (%)": "",
        "Endotoxin EU/mL": "", "Comments": "low titer, transfection failed (PEI lot)"},
    6: {"Endotoxin EU/mL": "<LOQ"},
    9: {"STATUS ": "Aborted", "Final Titer GC/mL": "", "% Full (AUC)": "", "Potency (%)": "",
        "Endotoxin EU/mL": "", "Harvest volume (mL)": "", "Comments": "contamination day 2, culture discarded"},
    11: {"Endotoxin EU/mL": "<0.05"},
    13: {"Final Titer GC/mL": "(pooled titer)", "Comments": "titer measured on pool of 12+13"},
    14: {"Final Titer GC/mL": "see above"},
    16: {"Viral Lot #": "AAV9-17-016/AAV9-17-017", "Comments": "co-processed pair, one set of results"},
    19: {"Potency (%)": "46", "STATUS ": "On hold", "Comments": "low potency, investigation opened"},
    21: {"Viral Lot #": "AAV9-17-021\u00a0 "},
    22: {"% Full (AUC)": "68.9", "STATUS ": "On hold"},
}
SKIP = {17}  # lot 017 appears only in the co-processed cell of prep 16
BLANK_ROW_AFTER = 10  # an empty line of separators, as a spreadsheet export leaves it
STATUS_TEXT = "Released"


def _draw(rng: np.random.Generator) -> list[dict[str, str]]:
    rows = []
    for k in range(1, N_PREPS + 1):
        titer = TRUTH["titer_median"] * TRUTH["titer_gsd"] ** rng.standard_normal()
        full = rng.normal(TRUTH["full_mean"], TRUTH["full_sd"])
        potency = rng.normal(TRUTH["potency_mean"], TRUTH["potency_sd"])
        endo = TRUTH["endotoxin_median"] * TRUTH["endotoxin_gsd"] ** rng.standard_normal()
        volume = rng.normal(TRUTH["volume_mean"], TRUTH["volume_sd"])
        d = FIRST_DATE + timedelta(days=7 * (k - 1))
        row = {
            "Viral Lot #": f"AAV9-17-{k:03d}",
            "Transfection date": f"{d.month}/{d.day}/{d.year}",
            "Cell line": "HEK293 (synthetic)",
            "Harvest volume (mL)": f"{volume:,.0f}",
            "Final Titer GC/mL": f"{titer:.2E}",
            "% Full (AUC)": f"{full:.1f}",
            "Potency (%)": f"{potency:.0f}",
            "Endotoxin EU/mL": f"{endo:.3f}",
            "STATUS ": STATUS_TEXT,
            "Comments": "",
        }
        row.update(SCENARIOS.get(k, {}))
        if k not in SKIP:
            rows.append(row)
    return rows


def _csv_cell(v: str) -> str:
    return f'"{v}"' if any(ch in v for ch in ',"\n') else v


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    lines = [",".join(_csv_cell(h) for h in HEADERS)]
    for i, r in enumerate(rows, start=1):
        lines.append(",".join(_csv_cell(r[h]) for h in HEADERS))
        if i == BLANK_ROW_AFTER:
            lines.append("," * (len(HEADERS) - 1))
    # Excel's "CSV UTF-8": byte-order mark and CRLF
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def _excel_value(header: str, text: str):
    """What a person typing into Excel leaves in the cell: numbers and dates as such, the rest as text."""
    if text == "":
        return None
    if header == "Transfection date":
        m, d, y = (int(x) for x in text.split("/"))
        return datetime(y, m, d)
    if header in ("Harvest volume (mL)", "Final Titer GC/mL", "% Full (AUC)", "Potency (%)", "Endotoxin EU/mL"):
        try:
            return float(text.replace(",", ""))
        except ValueError:
            return text
    return text


def _write_xlsx(path: Path, rows: list[dict[str, str]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Production log"
    ws.append(HEADERS)
    for i, r in enumerate(rows, start=1):
        ws.append([_excel_value(h, r[h]) for h in HEADERS])
        if i == BLANK_ROW_AFTER:
            ws.append([None] * len(HEADERS))
            ws.cell(row=ws.max_row, column=len(HEADERS), value="")
    for cell in ws["B"][1:]:
        if isinstance(cell.value, datetime):
            cell.number_format = "m/d/yyyy"
    fixed = datetime(2017, 7, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "pdkit make_lab_export.py"
    buf = io.BytesIO()
    wb.save(buf)
    # fixed zip member timestamps so the file is byte-identical on every run
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>",
                              b'<dcterms:modified xsi:type="dcterms:W3CDTF">2017-07-01T00:00:00Z</dcterms:modified>',
                              data)
            zi = zipfile.ZipInfo(info.filename, date_time=(2017, 7, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    path.write_bytes(out.getvalue())


def main() -> list[Path]:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = _draw(rng)
    files = [OUT / f"{STEM}.csv", OUT / f"{STEM}.xlsx"]
    _write_csv(files[0], rows)
    _write_xlsx(files[1], rows)
    return files


if __name__ == "__main__":
    for f in main():
        print(f"wrote {f}")
