"""The report's files: HTML, Markdown and CSV, laid out from the document and the analysis."""
