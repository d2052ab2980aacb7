"""The HTML report: a folder of static, self-contained pages for one as-of date.

`write_report` takes data the caller already has (case facts, leads, optionally the evaluation
and the store's notes: reasons for pauses and extensions, who agreed them, sibling groups) and
touches no database; `write_report_from_store` reads them first. What it writes:

- `index.html`: the RAG board per team and per lead with the milestones at risk (booked after
  their due date), the oldest drift, the four-week forecast, run charts of the measures, the
  agreed extensions granted, journey times, data quality, and links to everything below;
- `timelines-TEAM-NNN.html`: each open case's timeline with its pauses, agreed extensions,
  booked dates, steps that no longer apply and brothers and sisters, 200 children a page
  (siblings side by side), a run of pages per team, listed in `team-TEAM.html`;
- `drift-TEAM-NNN.html`: every red and amber milestone of a team, oldest drift first, 500 a page;
- `quality.html`: every data-quality item;
- `scorecard.html`: the adoption scorecard (A1, A2, A3, A10) for the three years to the latest
  31 March on or before the as-of date: each year, each team, run charts by quarter of adoption;
- `measures.json`, `measures.csv`: the figures, as `permanence measures` prints them.

Every page opens with no request to any other host: styles are inline, charts are matplotlib
SVG inlined in the page, no fonts, scripts or images are fetched, and a Content-Security-Policy
forbids loading anything at all. Children's names appear only when `names` is given, and every
page then says it contains personal data; dates of birth never appear.

Charts come from matplotlib (Agg backend, SVG with text as text). The children's timelines are
plain HTML and CSS, built with string formatting rather than per-row template calls, because a
100,000-case report lays out a million milestones.

One job a module: `write` (what each page is given, in order), `pages` (templates, paging, the
timeline pages), `cards` (a child's timeline card, drift rows), `layout` (a case's milestones on
a time axis, waiting steps projected), `charts` (matplotlib to inline SVG), `text` (dates,
escaping, file names) and `folder` (writing beside the target, then replacing it whole). The
page templates and style sheet are in `templates/`.
"""

from permanence.report.write import write_report, write_report_from_store

__all__ = ["write_report", "write_report_from_store"]
